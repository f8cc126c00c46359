/**
 * Pipeline state merging (gitlab.md §1.4, §2.2): hooks fire on every transition, repeat and arrive out
 * of order. A snapshot is applied only if it moves the pipeline forward; a retry legitimately moves
 * `failed` → `running` again, and is recognised by its new job ids (retried jobs get new ids).
 */

export interface PipelineState {
  projectId: number;
  pipelineId: number;
  ref: string;
  status: string;
  /** Highest job id seen in `builds[]`: grows when jobs are retried. */
  maxBuildId: number;
  /** The card state this pipeline has in the chats, if it has a card. */
  card?: 'failed' | 'retrying' | 'recovered' | 'canceled';
}

export interface RefState {
  /** The failed pipeline whose failure is still unresolved on this ref. */
  failing?: number;
}

export const TERMINAL = new Set(['success', 'failed', 'canceled', 'skipped']);
const RANK: Record<string, number> = {
  created: 0, waiting_for_resource: 1, preparing: 1, pending: 1, scheduled: 1, manual: 2, running: 2, canceling: 3,
};
const rank = (s: string) => (TERMINAL.has(s) ? 4 : (RANK[s] ?? 2));

/** Whether a snapshot (status, maxBuildId) should be applied on top of `prev`. */
export function movesForward(prev: PipelineState | undefined, status: string, maxBuildId: number): boolean {
  if (!prev) return true;
  if (maxBuildId > prev.maxBuildId) return true; // new job attempts: a retry, whatever the status
  if (maxBuildId < prev.maxBuildId) return false; // an older snapshot
  if (status === prev.status) return false; // duplicate
  if (TERMINAL.has(prev.status)) return false; // terminal with the same jobs cannot change
  return rank(status) >= rank(prev.status);
}
