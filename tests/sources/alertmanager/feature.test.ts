// The Alertmanager feature wired into the whole bot over HTTP: the route (mounted only with a token),
// `/alerts [product]` across sources, and `opsbot_alerts_open{source,severity}` on /metrics.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CaptureAdapter } from '../../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { replyToText } from '../../../src/core/bot.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { BASE_YAML } from '../../helpers/test-bot.ts';
import { eventually } from '../../helpers/alertmanager.ts';
import { amFixtureText, TOKEN } from './helpers.ts';

let bot: Opsbot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

async function start(section: string) {
  const { config } = loadConfig({ file: 'test.yaml', text: `${BASE_YAML}\n${section}`, env: {} });
  const adapter = new CaptureAdapter();
  bot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), adapters: [adapter] });
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  const say = async (text: string) => {
    const before = adapter.sent.length;
    await bot!.bot.handleMessage(CaptureAdapter.message(text, { from: 'alice', chat: 'team' }));
    await bot!.bot.idle();
    return adapter.sent.slice(before).map((m) => replyToText(m.reply)).join('\n');
  };
  return { adapter, base, say };
}

describe('alertmanager feature', () => {
  it('webhook → cards; /alerts lists them; /metrics counts them by source and severity', { timeout: 60_000 }, async () => {
    const { adapter, base, say } = await start(`alertmanager:\n  token: ${TOKEN}\n  routes: [{ match: { namespace: "=~pay-.*" }, product: demo, environment: prod }]\n`);
    expect(await say('/alerts')).toContain('No open alerts');
    const r = await fetch(`${base}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: amFixtureText('firing-v4.json') });
    expect(r.status).toBe(200);
    await eventually('three cards', () => adapter.sent.filter((m) => m.cardKey?.startsWith('alertmanager:alert:')).length === 3, 30_000);
    const list = await say('/alerts demo');
    expect(list).toContain('Open alerts (3)');
    expect(list).toContain('[alertmanager] critical 5xx above 5% on a:9090 (demo)');
    expect(await say('/alerts billing')).toContain('No open alerts for billing');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('opsbot_alerts_open{source="alertmanager",severity="critical"} 3');
    expect(await say('/am ack 1a2b3c4d5e6f7081')).toContain('Alice acknowledged alert HighErrorRate');
    expect(await say('/alerts')).toContain('acked');
  });

  it('without alertmanager.token the route is not mounted (404)', { timeout: 60_000 }, async () => {
    const { base } = await start('alertmanager:\n  defaultChat: "test:ops"\n');
    const r = await fetch(`${base}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: amFixtureText('firing-v4.json') });
    expect(r.status).toBe(404);
  });
});
