/** Picks the Store driver from config. */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { LowdbStore } from './lowdb-store.ts';
import { MemoryStore } from './memory-store.ts';
import { PostgresStore } from './postgres-store.ts';
import type { Store } from './types.ts';

/** `log` is optional: the postgres driver reports migrations and lost pooled connections through it. */
export async function createStore(config: Config, cwd = process.cwd(), log?: Logger): Promise<Store> {
  let store: Store;
  switch (config.storage.driver) {
    case 'memory':
      store = new MemoryStore();
      break;
    case 'postgres':
      // Several replicas share one database (issue 9); migrations run in init() under an advisory lock.
      if (!config.storage.url) throw new Error('storage.driver: postgres needs storage.url (postgres://user:pass@host:5432/db)');
      store = new PostgresStore({ url: config.storage.url, ...(log ? { log } : {}) });
      break;
    default:
      store = new LowdbStore(path.resolve(cwd, config.storage.dataDir), log ? { log } : {});
  }
  await store.init();
  return store;
}
