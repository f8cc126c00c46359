/** Picks the Store driver from config. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { LowdbStore } from './lowdb-store.ts';
import { MemoryStore } from './memory-store.ts';
import type { Store } from './types.ts';

export async function createStore(config: Config, cwd = process.cwd()): Promise<Store> {
  let store: Store;
  switch (config.storage.driver) {
    case 'memory':
      store = new MemoryStore();
      break;
    case 'postgres':
      throw new Error('storage.driver: postgres is not available in this build yet; use lowdb');
    default:
      store = new LowdbStore(path.resolve(cwd, config.storage.dataDir));
  }
  await store.init();
  return store;
}
