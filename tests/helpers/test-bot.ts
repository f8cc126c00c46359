/** createTestBot(): the bot through its neutral seam, with a CaptureAdapter and a memory store. */
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { replyToText } from '../../src/core/bot.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/types.ts';

export const BASE_YAML = `
locale: en
chat: { console: false }
people:
  alice: { name: Alice, roles: [deployer] }
  bob: { name: Bob, roles: [] }
  root: { name: Root, roles: [admin] }
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
      env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
      prod: { protected: true, engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
`;

export async function createTestBot(options: { yaml?: string; store?: Store; clock?: () => number } = {}) {
  const { config } = loadConfig({ file: 'test.yaml', text: options.yaml ?? BASE_YAML, env: {} });
  const log = pino({ level: 'silent' });
  const adapter = new CaptureAdapter();
  const store = options.store ?? new MemoryStore();
  const opsbot = await createOpsbot({ config, log, store, adapters: [adapter], ...(options.clock ? { clock: options.clock } : {}) });
  await opsbot.start();
  let n = 0;
  /** Say something as `from` (a person id; test senders are matched by person id) and wait for the answers. */
  async function say(text: string, opts: { from?: string; chat?: string; id?: string } = {}) {
    const before = adapter.sent.length;
    await opsbot.bot.handleMessage(CaptureAdapter.message(text, { id: opts.id ?? `t-${++n}`, ...opts }));
    await opsbot.bot.idle();
    return adapter.sent.slice(before).map((m) => replyToText(m.reply));
  }
  return { opsbot, adapter, store, config, say, stop: () => opsbot.stop() };
}
