/**
 * Hardening item 5: DingTalk's HTTP-mode `sign` covers only the timestamp (chat-platforms.md §3), so a
 * captured header pair must not authorise a second, different body — not even after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VerificationError } from '../../../src/core/errors.ts';
import { text, type IncomingMessage } from '../../../src/core/message.ts';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { SignLedger } from '../../../src/adapters/dingtalk/replay.ts';
import { dingtalkSign } from '../../../src/adapters/dingtalk/verify.ts';
import { LowdbStore } from '../../../src/store/lowdb-store.ts';
import type { Store } from '../../../src/store/types.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig } from './helpers.ts';

const NOW = 1_700_000_000_000;
let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
  await fake?.close();
  fake = undefined;
});

function request(body: unknown, ts: number): RawRequest {
  const t = String(ts);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', timestamp: t, sign: dingtalkSign(t, 'this is secret') },
    query: new URLSearchParams(),
    params: {},
    rawBody: Buffer.from(JSON.stringify(body)),
    receivedAt: NOW,
  };
}

/** The same captured headers with another body: what an attacker who saw one request can send. */
function withBody(req: RawRequest, body: unknown): RawRequest {
  return { ...req, rawBody: Buffer.from(JSON.stringify(body)) };
}

async function adapterOn(base: string, store?: Store) {
  const received: IncomingMessage[] = [];
  const adapter = createDingtalkAdapter({
    config: testConfig(base, { mode: 'http' }),
    log: silentLog,
    clock: () => NOW,
    ...(store ? { store } : {}),
    onMessage: async (m) => {
      received.push(m);
      await adapter.send({ to: m.chat, inReplyTo: m, reply: text('ok') });
    },
  });
  return { route: adapter.routes()[0]!, received };
}

// The reply goes to the fake (the configured oapiBase host), never to the fixture's real oapi.dingtalk.com.
const message = (msgId: string, content: string) => ({
  ...fixture('dingtalk-robot-message-chatops.json'),
  msgId,
  text: { content },
  sessionWebhook: `${fake!.base}/robot/sendBySession?session=${msgId}`,
  sessionWebhookExpiredTime: NOW + 3_600_000,
});
const genuine = () => message('msg-genuine', ' /status demo');
const forged = () => message('msg-forged', ' /deploy demo v9.9.9 prod');

describe('DingTalk HTTP mode: each timestamp+sign pair is accepted once', () => {
  it('a captured pair replayed with a new body is 401 and nothing is processed or sent', async () => {
    fake = await startFakeDingtalk();
    const { route, received } = await adapterOn(fake.base);
    const first = request(genuine(), NOW - 1000);
    expect(await route.handle(first)).toEqual({ status: 200, body: {} });
    expect(received.map((m) => m.text)).toEqual(['/status demo']);
    const sentBefore = fake.calls.length;
    await expect(route.handle(withBody(first, forged()))).rejects.toThrow(VerificationError);
    await expect(route.handle(withBody(first, forged()))).rejects.toThrow(/replay/);
    expect(received).toHaveLength(1);
    expect(fake.calls).toHaveLength(sentBefore);
  });

  it('a byte-identical retry of the same delivery still answers 200 and runs once (msgId dedupe)', async () => {
    fake = await startFakeDingtalk();
    const { route, received } = await adapterOn(fake.base);
    const req = request(genuine(), NOW);
    expect(await route.handle(req)).toEqual({ status: 200, body: {} });
    expect(await route.handle(req)).toEqual({ status: 200, body: {} });
    expect(received).toHaveLength(1);
  });

  it('fresh pairs for different messages are all accepted', async () => {
    fake = await startFakeDingtalk();
    const { route, received } = await adapterOn(fake.base);
    await route.handle(request(genuine(), NOW - 2));
    await route.handle(request(forged(), NOW - 1));
    expect(received).toHaveLength(2);
  });

  it('the used pairs survive a restart (Store collection dingtalk-signs)', async () => {
    fake = await startFakeDingtalk();
    const dir = mkdtempSync(path.join(tmpdir(), 'opsbot-dt-signs-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store1 = new LowdbStore(dir);
    await store1.init();
    const first = request(genuine(), NOW - 5000);
    const a1 = await adapterOn(fake.base, store1);
    expect(await a1.route.handle(first)).toEqual({ status: 200, body: {} });
    await store1.close();

    const store2 = new LowdbStore(dir);
    await store2.init();
    cleanup.push(() => store2.close());
    const a2 = await adapterOn(fake.base, store2);
    await expect(a2.route.handle(withBody(first, forged()))).rejects.toThrow(VerificationError);
    expect(a2.received).toHaveLength(0);
  });

  it('SignLedger: another body under a seen pair throws, the same body passes', async () => {
    const ledger = new SignLedger();
    await ledger.accept('1', 'sig', Buffer.from('a'));
    await ledger.accept('1', 'sig', Buffer.from('a'));
    await ledger.accept('2', 'sig2', Buffer.from('b'));
    await expect(ledger.accept('1', 'sig', Buffer.from('b'))).rejects.toThrow(VerificationError);
  });
});
