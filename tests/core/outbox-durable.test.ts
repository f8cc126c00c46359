// The embedded outbox survives a restart (lowdb on a temp dir): sends queued while the platform was
// down are resumed by the next process, each arrives once, a card shows its latest state, and sends
// that already went out are not repeated.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { UpstreamError } from '../../src/core/errors.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import { ChatOutbox } from '../../src/core/outbox.ts';
import { StoreOutboxLedger, type StoredOutboxEntry } from '../../src/core/outbox-store-ledger.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';

async function open(dir: string, adapter: CaptureAdapter) {
  const store = new LowdbStore(dir);
  await store.init();
  const ledger = new StoreOutboxLedger({ budgetPerMinute: 20, collection: store.collection<StoredOutboxEntry>('outbox', { tier: 'bulk' }) });
  const outbox = new ChatOutbox(pino({ level: 'silent' }), { budgetPerMinute: 20, ledger, retry: { baseMs: 100, maxMs: 200 } });
  outbox.register(adapter);
  return { store, outbox };
}
const push = (t: string, cardKey?: string): OutgoingMessage => ({ to: 'test:g', reply: text(t), ...(cardKey ? { cardKey } : {}) });

describe('durable outbox across a restart (lowdb)', () => {
  it('queued while down, resumed after restart: each once, the card at its latest state, nothing sent twice', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opsbot-outbox-'));
    const down = new CaptureAdapter();
    let failing = false;
    const orig = down.send.bind(down);
    down.send = async (m) => {
      if (failing) throw new UpstreamError('test', 503, 'unavailable');
      return orig(m);
    };
    const a = await open(dir, down);
    await a.outbox.send(push('before the outage'));
    failing = true;
    await a.outbox.send(push('m1'));
    await a.outbox.send(push('card v1', 'alert:1'));
    await a.outbox.send(push('m2'));
    await a.outbox.send(push('card v2', 'alert:1'));
    expect(down.sent.map((m) => m.reply)).toEqual([text('before the outage')]);
    // the process dies: timers gone, nothing flushed beyond what each send already made durable
    a.outbox.stop();
    await a.store.close();

    const up = new CaptureAdapter();
    const b = await open(dir, up);
    expect((await b.outbox.list()).map((r) => r.state)).toEqual(['queued', 'queued', 'queued']);
    await b.outbox.start();
    // the backoff of the last attempt (≤ 200 ms here) is honoured across the restart
    await up.waitFor(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(up.sent.map((m) => m.reply)).toEqual([text('m1'), text('card v2'), text('m2')]);
    expect(await b.outbox.list()).toEqual([]);
    b.outbox.stop();
    await b.store.close();

    // a third start sends nothing again
    const again = new CaptureAdapter();
    const c = await open(dir, again);
    await c.outbox.start();
    expect(again.sent).toEqual([]);
    c.outbox.stop();
    await c.store.close();
  });
});
