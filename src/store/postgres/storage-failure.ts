/**
 * Which PostgreSQL errors mean "the database cannot take writes now" (→ 503, retry later) rather than a
 * bug (→ 500). SQLSTATE classes (PostgreSQL docs, Appendix A "Error Codes"):
 * - 08xxx connection exception, 57P0x admin/crash shutdown, cannot connect now;
 * - 25006 read_only_sql_transaction (a read-only standby or `default_transaction_read_only`);
 * - 42501 insufficient_privilege (INSERT revoked);
 * - 53xxx insufficient resources (53100 disk_full, 53200 out_of_memory, 53300 too_many_connections);
 * - 58xxx system error (58030 io_error);
 * plus node socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT) and pg's own "Connection terminated".
 */
export function isPgStorageFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|53|58)/.test(code) || /^57P0/.test(code) || code === '25006' || code === '42501') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  return typeof e?.message === 'string' && /Connection terminated|connection timeout/i.test(e.message);
}
