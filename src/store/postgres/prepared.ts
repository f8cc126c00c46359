/**
 * Named (prepared) statements for the hot paths: ingest, the claim and completion of processing tasks,
 * and the document reads and writes a delivery's processing makes.
 *
 * An unnamed statement is parsed, analysed and planned by PostgreSQL on every call. In the extended
 * protocol a *named* statement is parsed once per connection (Parse), then only bound and executed
 * (PostgreSQL docs, "Message Flow" §55.2.3); node-pg sends the Parse the first time a pooled client sees a
 * name and remembers it. After five executions PostgreSQL may switch to a generic plan and stop planning
 * as well (docs, PREPARE, "plan_cache_mode"). Measured in the ingest bench's drain of a backlog: parse,
 * analysis and planning were ~40 % of the PostgreSQL backends' CPU.
 *
 * The name is derived from the text, so one text is one name and two texts never share one (node-pg
 * refuses a name reused with another text). Statements prepared here name their result columns instead of
 * `*`: a cached plan whose row type changes under it (a later migration adding a column, while an older
 * replica still runs) fails with "cached plan must not change result type".
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

const names = new Map<string, string>();

/** The query config that runs `text` as a statement prepared once per pooled connection. */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `opsbot_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values };
}
