/**
 * 2. Command round trip through the neutral seam: `bot.handleMessage('/status demo')` → the reply card
 * captured by a CaptureAdapter (memory store, real command registry). Baseline: a no-op async round trip.
 */
import { createTestBot } from '../tests/helpers/test-bot.ts';
import { CaptureAdapter } from '../src/adapters/capture.ts';
import { ms, percentile, table } from './lib/table.ts';

async function timeIt(runs: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

export async function benchCommand(o: { runs: number }): Promise<string> {
  const { opsbot, adapter, stop } = await createTestBot();
  const warm = 200;
  const roundTrip = async (i: number) => {
    const before = adapter.sent.length;
    await opsbot.bot.handleMessage(CaptureAdapter.message('/status demo', { from: 'alice', id: `bench-${i}` }));
    await adapter.waitFor(before + 1, 5000);
  };
  await timeIt(warm, (i) => roundTrip(1_000_000 + i));
  const bot = await timeIt(o.runs, roundTrip);
  const last = adapter.sent.at(-1);
  if (last?.reply.kind !== 'card') throw new Error(`/status demo did not answer with a card: ${JSON.stringify(last?.reply).slice(0, 200)}`);
  await stop();

  const noop = async (): Promise<void> => {};
  const base = await timeIt(o.runs, async () => {
    await noop();
  });
  const rows = [
    ['no-op async function (baseline)', o.runs, ms(percentile(base, 50) * 1000), ms(percentile(base, 99) * 1000), '–'],
    ['`/status demo` → reply card (CaptureAdapter, memory store)', o.runs, ms(percentile(bot, 50) * 1000), ms(percentile(bot, 99) * 1000), ms(Math.max(...bot) * 1000)],
  ];
  const p50 = percentile(bot, 50);
  return [
    `### Command round trip (${o.runs} runs after ${warm} warm-up)`,
    '',
    table(['what', 'runs', 'p50 µs', 'p99 µs', 'max µs'], rows),
    '',
    `- Goal p50 < 5 ms: ${ms(p50)} ms → ${p50 < 5 ? 'met' : 'MISSED'} (p99 ${ms(percentile(bot, 99))} ms)`,
  ].join('\n');
}
