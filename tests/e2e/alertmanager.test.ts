// Issue 17 "Done when", against the real Alertmanager (tests/helpers/alertmanager.ts): three firing
// alerts of one group → three cards (one per fingerprint) in the team's chat with the owner @-mentioned;
// Alertmanager's repeats add nothing; Silence 1h (the card's button, typed as a command) → exactly one
// silence whose matchers are the alert's labels and whose createdBy is the clicker; resolving in
// Alertmanager turns every card to resolved (the silenced one too, which Alertmanager never notifies);
// a wrong bearer token → 401 and nothing. The chat is the CaptureAdapter (`test:team`).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { replyToText } from '../../src/core/bot.ts';
import type { OutgoingMessage } from '../../src/core/message.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually, freePort, startAlertmanager, type RealAlertmanager } from '../helpers/alertmanager.ts';

const TOKEN = 'e2e-alertmanager-webhook-token';
let am: RealAlertmanager | undefined;
let opsbot: Opsbot | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  await am?.stop();
  await opsbot?.stop();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  am = opsbot = proxy = undefined;
});

/** Forwards Alertmanager's webhook calls to the bot and records each answer (to see the repeats arrive). */
function startRecordingProxy(target: number, answers: { status: number; body: string }[]): Promise<number> {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fwd = request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (r) => {
        const out: Buffer[] = [];
        r.on('data', (c: Buffer) => out.push(c));
        r.on('end', () => {
          answers.push({ status: r.statusCode ?? 0, body: Buffer.concat(out).toString() });
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(Buffer.concat(out));
        });
      });
      fwd.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => proxy!.listen(0, '127.0.0.1', () => resolve((proxy!.address() as AddressInfo).port)));
}

const text = (m: OutgoingMessage): string => replyToText(m.reply);
/** The last version of each card, by card key. */
function cards(sent: OutgoingMessage[]): Map<string, OutgoingMessage> {
  const m = new Map<string, OutgoingMessage>();
  for (const s of sent) if (s.cardKey?.startsWith('alertmanager:alert:')) m.set(s.cardKey, s);
  return m;
}

describe('Alertmanager → opsbot (real Alertmanager 0.25)', () => {
  it('three firing alerts → three cards with @owner; repeats add nothing; Silence 1h → one silence by the clicker; resolve → resolved; wrong token → 401', { timeout: 180_000 }, async () => {
    const amPort = await freePort();
    const yaml = `
locale: zh-CN
people:
  alice: { name: Alice, roles: [deployer] }
teams:
  payments: { members: [alice], chats: ["test:team"] }
products:
  demo:
    team: payments
    owners: [alice]
    components: [component-a]
    environments:
      prod: { engine: { type: command, run: ["true"] } }
alertmanager:
  url: http://127.0.0.1:${amPort}
  token: ${TOKEN}
  defaultChat: "test:ops"
  silencedCheckSeconds: 1
  routes: [{ match: { namespace: "=~pay-.*" }, product: demo, environment: prod }]
`;
    const { config } = loadConfig({ file: 'e2e.yaml', text: yaml, env: {} });
    const adapter = new CaptureAdapter();
    opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), adapters: [adapter] });
    const server = await opsbot.start({ port: 0, host: '127.0.0.1' });
    const botPort = (server!.address() as AddressInfo).port;
    const answers: { status: number; body: string }[] = [];
    const proxyPort = await startRecordingProxy(botPort, answers);
    am = await startAlertmanager({ port: amPort, webhookUrl: `http://127.0.0.1:${proxyPort}/webhooks/alertmanager`, token: TOKEN, repeatInterval: '3s' });

    // Three alerts of one group (group_by alertname), routed by the namespace regex to product demo.
    const labels = (instance: string) => ({ alertname: 'HighErrorRate', severity: 'critical', namespace: 'pay-prod', instance, job: 'api' });
    const startsAt = new Date().toISOString();
    await am.postAlerts(['a:9090', 'b:9090', 'c:9090'].map((i) => ({ labels: labels(i), annotations: { summary: `5xx above 5% on ${i}`, description: 'error ratio over 5 minutes' }, startsAt, generatorURL: 'http://prometheus.local/graph' })));

    const posted = await eventually('three cards', () => (cards(adapter.sent).size >= 3 ? cards(adapter.sent) : undefined));
    expect(posted.size).toBe(3);
    for (const m of posted.values()) {
      expect(m.to).toBe('test:team');
      expect(m.mentions).toEqual(['alice']);
      expect(text(m)).toContain('HighErrorRate');
      expect(text(m)).toContain('/am silence');
    }

    // Alertmanager re-sends the unchanged group every repeat_interval (3 s): answered as duplicates, no new message.
    const sentBefore = adapter.sent.length;
    await eventually('two repeated notifications', () => answers.filter((a) => a.status === 200 && a.body.includes('"duplicate":true')).length >= 2, 60_000);
    expect(adapter.sent.length).toBe(sentBefore);

    // Click "静默 1 小时" on the first card: its button is the command, typed as Alice.
    const first = [...posted.values()][0]!;
    const click = /\/am silence [0-9a-f]+ 1h/.exec(JSON.stringify(first.reply))![0];
    const fingerprint = click.split(' ')[2]!;
    await opsbot.bot.handleMessage(CaptureAdapter.message(click, { from: 'alice', chat: 'team' }));
    await opsbot.bot.idle();
    type Silence = { id: string; createdBy: string; comment: string; status: { state: string }; matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[] };
    const silences = (await am.get<Silence[]>('/api/v2/silences')).filter((s) => s.status.state === 'active');
    expect(silences).toHaveLength(1);
    expect(silences[0]!.createdBy).toBe('Alice');
    expect(silences[0]!.comment).toContain('opsbot');
    const silencedAlert = (await am.get<{ fingerprint: string; labels: Record<string, string> }[]>('/api/v2/alerts')).find((a) => a.fingerprint === fingerprint)!;
    const matchers = Object.fromEntries(silences[0]!.matchers.map((m) => [m.name, m.value]));
    expect(matchers).toEqual(silencedAlert.labels);
    expect(silences[0]!.matchers.every((m) => !m.isRegex && m.isEqual !== false)).toBe(true);
    await eventually('the card shows the silence', () => text(cards(adapter.sent).get(`alertmanager:alert:${fingerprint}`)!).includes('Alice 设置'));

    // Resolve all three in Alertmanager (endsAt in the past resolves: api/v2/openapi.yaml postableAlert).
    await am.postAlerts(['a:9090', 'b:9090', 'c:9090'].map((i) => ({ labels: labels(i), startsAt, endsAt: new Date().toISOString() })));
    const resolved = await eventually('all three cards resolved', () => {
      const c = cards(adapter.sent);
      return [...c.values()].every((m) => text(m).includes('已恢复')) ? c : undefined;
    }, 90_000);
    expect(resolved.size).toBe(3);
    expect(text(resolved.get(`alertmanager:alert:${fingerprint}`)!)).toContain('静默期间');

    // A wrong bearer token: 401, nothing stored or sent.
    const count = adapter.sent.length;
    const body = JSON.stringify({ version: '4', status: 'firing', receiver: 'opsbot', groupKey: 'x', alerts: [{ status: 'firing', labels: { alertname: 'Forged', product: 'demo' }, annotations: {}, startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint: 'ffffffffffffffff' }] });
    const forged = await fetch(`http://127.0.0.1:${botPort}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body });
    expect(forged.status).toBe(401);
    const none = await fetch(`http://127.0.0.1:${botPort}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(none.status).toBe(401);
    await opsbot.bot.idle();
    expect(adapter.sent.length).toBe(count);
  });
});
