// Child process for the SIGKILL test: writes continuously and prints "ack <n>" after each write is durable.
import { LowdbStore } from '../../src/store/lowdb-store.ts';

const store = new LowdbStore(process.argv[2]!);
await store.init();
const hot = store.collection<{ n: number; pad: string }>('tasks', { tier: 'hot' });
const bulk = store.collection<{ n: number; pad: string }>('deliveries', { tier: 'bulk', maxItems: 100_000 });
const pad = 'x'.repeat(500);
for (let n = 1; ; n++) {
  // Several concurrent writers per round, as under load.
  await Promise.all([hot.put(`t${n}`, { n, pad }), bulk.insertIfAbsent(`d${n}`, { n, pad })]);
  process.stdout.write(`ack ${n}\n`);
}
