/**
 * A real opsbot for the web console tests: the HTTP server on 127.0.0.1 (a port picked free first, so
 * `server.publicUrl` can name it), a CaptureAdapter as the chat, a memory store, and a deploy script
 * gated by files the test creates (gated-deploy.sh).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { replyToText } from '../../src/core/bot.ts';
import type { OutgoingMessage } from '../../src/core/message.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const SCRIPT = new URL('./gated-deploy.sh', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface WebBot {
  opsbot: Opsbot;
  adapter: CaptureAdapter;
  store: MemoryStore;
  base: string;
  gateDir: string;
  /** Let the task's script go past gate n (1 or 2). */
  open(taskId: string, gate: 1 | 2): void;
  say(text: string, opts?: { from?: string; chat?: string }): Promise<string[]>;
  /** Messages sent to a chat. */
  sentTo(chat: string): OutgoingMessage[];
  stop(): Promise<void>;
}

export async function startWebBot(o: { locale?: 'en' | 'zh-CN'; web?: string } = {}): Promise<WebBot> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateDir = mkdtempSync(join(tmpdir(), 'opsbot-web-'));
  const yaml = `
locale: ${o.locale ?? 'zh-CN'}
server: { port: ${port}, host: 127.0.0.1, publicUrl: "${base}" }
chat: { console: false }
deploy: { progressThrottleMs: 0 }
web: ${o.web ?? '{ enabled: true }'}
people:
  alice: { name: Alice, roles: [deployer] }
  bob: { name: Bob, roles: [] }
teams:
  payments: { members: [alice, bob], chats: ["test:team"] }
products:
  demo:
    team: payments
    owners: [alice]
    components: [component-a, component-b]
    releases:
      v1.0.0: { component-a: v1.0.0, component-b: v1.0.0 }
      v1.1.0: { component-a: v1.1.0, component-b: v1.0.0 }
    environments:
      env-1: { engine: { type: command, run: ["/bin/sh", "${SCRIPT}"], env: { GATE_DIR: "${gateDir}" } } }
      env-2: { engine: { type: command, run: ["/bin/sh", "${SCRIPT}"], env: { GATE_DIR: "${gateDir}" } } }
`;
  const { config } = loadConfig({ file: 'web-test.yaml', text: yaml, env: {} });
  const adapter = new CaptureAdapter();
  const store = new MemoryStore();
  const opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), store, adapters: [adapter] });
  await opsbot.start({ port, host: '127.0.0.1' });
  let n = 0;
  return {
    opsbot, adapter, store, base, gateDir,
    open: (taskId, gate) => writeFileSync(join(gateDir, `${taskId}-${gate}`), ''),
    async say(text, opts = {}) {
      const before = adapter.sent.length;
      await opsbot.bot.handleMessage(CaptureAdapter.message(text, { id: `w-${++n}`, ...opts }));
      await opsbot.bot.idle();
      return adapter.sent.slice(before).map((m) => replyToText(m.reply));
    },
    sentTo: (chat) => adapter.sent.filter((m) => m.to === chat),
    stop: () => opsbot.stop(),
  };
}

/** The details link of the latest card with this key (cards/model.ts `details`). */
export function detailsUrlOf(bot: WebBot, cardKey: string): string {
  const card = bot.adapter.sent.filter((m) => m.cardKey === cardKey && m.reply.kind === 'card').at(-1);
  const url = card?.reply.kind === 'card' ? card.reply.card.details?.url : undefined;
  if (!url) throw new Error(`no details link on ${cardKey}`);
  return url;
}

/** Wait until `check` holds, re-checking whenever the adapter sends (event-driven) and at most every 50 ms. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
