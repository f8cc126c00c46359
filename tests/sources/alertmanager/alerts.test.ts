import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { replyToText } from '../../../src/core/bot.ts';
import { t } from '../../../src/core/i18n.ts';
import { registerMessages } from '../../../src/core/i18n.ts';
import { StoreTimers } from '../../../src/core/timers.ts';
import { AlertBoard } from '../../../src/alerts/board.ts';
import { AmAlerts } from '../../../src/sources/alertmanager/alerts.ts';
import { AlertmanagerApi } from '../../../src/sources/alertmanager/api.ts';
import { alertmanagerMessages } from '../../../src/sources/alertmanager/messages.ts';
import { AlertmanagerService } from '../../../src/sources/alertmanager/service.ts';
import { parseWebhookMessage, type WebhookMessage } from '../../../src/sources/alertmanager/shapes.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { OutgoingMessage } from '../../../src/core/message.ts';
import { botConfig, FakeOutbox, peopleOf, silentLog } from '../sentry/helpers.ts';
import { amConfig, amFixture } from './helpers.ts';

registerMessages(alertmanagerMessages);
const tr = (key: string, vars?: Record<string, string | number>) => t('zh-CN', key, vars);
const msg = (name: string): WebhookMessage => {
  const r = parseWebhookMessage(amFixture(name));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
};
const textOf = (m: OutgoingMessage) => replyToText(m.reply);

/**
 * A fake of Alertmanager's API v2 on 127.0.0.1 (shapes from api/v2/openapi.yaml: POST /api/v2/silences →
 * {silenceID}; DELETE /api/v2/silence/{id}; GET /api/v2/alerts → [{fingerprint, …}]).
 */
let fake: Server | undefined;
afterEach(() => new Promise<void>((r) => (fake ? fake.close(() => r()) : r())));
async function fakeAlertmanager(state: { silences: Record<string, unknown>[]; deleted: string[]; active: string[] }): Promise<string> {
  fake = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/api/v2/silences') {
        state.silences.push(JSON.parse(body) as Record<string, unknown>);
        res.end(JSON.stringify({ silenceID: `sil-${state.silences.length}` }));
      } else if (req.method === 'DELETE' && req.url?.startsWith('/api/v2/silence/')) {
        state.deleted.push(req.url.slice('/api/v2/silence/'.length));
        res.end();
      } else if (req.method === 'GET' && req.url?.startsWith('/api/v2/alerts')) {
        res.end(JSON.stringify(state.active.map((fingerprint) => ({ fingerprint }))));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
}

function setup(over: { url?: string; am?: Record<string, unknown>; currentDeploy?: (p: string, e: string) => Promise<{ release: string } | undefined> } = {}) {
  const store = new MemoryStore();
  const now = { t: Date.parse('2026-12-02T05:01:00Z') };
  const clock = () => now.t;
  const outbox = new FakeOutbox(clock);
  const config = botConfig();
  const am = amConfig({ silencedCheckSeconds: 1, ...over.am });
  const api = over.url ? new AlertmanagerApi(over.url) : undefined;
  const timers = new StoreTimers({ store, log: silentLog, clock, pollMs: 0 });
  const alerts = new AmAlerts({ config, am, store, outbox, log: silentLog, locale: 'zh-CN', clock, people: peopleOf(config), timers, api, currentDeploy: over.currentDeploy });
  const service = new AlertmanagerService(alerts, api, clock);
  return { alerts, outbox, now, service, store, timers };
}

describe('Alertmanager alerts on the shared engine', () => {
  it('three firing alerts → three cards with @owners; a repeat adds nothing; resolved → the same cards read 已恢复 with the duration', async () => {
    const { alerts, outbox } = setup();
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    const pay = outbox.to('dingtalk:cid-pay');
    expect(pay.map((m) => m.cardKey)).toEqual(['alertmanager:alert:1a2b3c4d5e6f7081', 'alertmanager:alert:2b3c4d5e6f708192', 'alertmanager:alert:3c4d5e6f708192a3']);
    expect(pay[0]!.mentions).toEqual(['ding-alice', 'ding-bob']);
    expect(textOf(pay[0]!)).toContain('HighErrorRate: 5xx above 5% on a:9090');
    expect(textOf(pay[0]!)).toContain('error ratio over 5 minutes');
    expect(textOf(pay[0]!)).toContain('/am silence 1a2b3c4d5e6f7081 1h');
    await alerts.onNotification(msg('repeat-v4.json'), 'd2');
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    expect(outbox.sent).toHaveLength(6);
    await alerts.onNotification(msg('resolved-v4.json'), 'd3');
    const updates = outbox.to('dingtalk:cid-pay').slice(3);
    expect(updates).toHaveLength(3);
    expect(updates.every((m) => textOf(m).includes('已恢复') && !m.mentions)).toBe(true);
    expect(textOf(updates[0]!)).toContain('12m 30s');
    expect(textOf(updates[0]!)).not.toContain('/am silence');
    await alerts.onNotification(msg('resolved-v4.json'), 'd4');
    expect(outbox.sent).toHaveLength(12);
  });

  it('Silence 1h → one silence with the alert labels as equality matchers and createdBy the clicker; Unsilence deletes it', async () => {
    const am = { silences: [] as Record<string, unknown>[], deleted: [] as string[], active: ['1a2b3c4d5e6f7081'] };
    const { alerts, outbox, service } = setup({ url: await fakeAlertmanager(am) });
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    const done = await service.act({ action: 'silence', id: '1a2b3c4d5e6f7081', by: { id: 'alice', name: 'Alice' }, duration: '1h' }, tr);
    expect(done).toContain('sil-1');
    expect(am.silences).toHaveLength(1);
    const s = am.silences[0] as { matchers: unknown[]; createdBy: string; comment: string; startsAt: string; endsAt: string };
    expect(s.createdBy).toBe('Alice');
    expect(s.comment).toContain('opsbot');
    expect(Date.parse(s.endsAt) - Date.parse(s.startsAt)).toBe(3_600_000);
    expect(s.matchers).toEqual(
      Object.entries({ alertname: 'HighErrorRate', instance: 'a:9090', job: 'api', namespace: 'pay-prod', severity: 'critical' }).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
    );
    const card = outbox.sent.at(-1)!;
    expect(card.cardKey).toBe('alertmanager:alert:1a2b3c4d5e6f7081');
    expect(textOf(card)).toContain('Alice 设置');
    expect(textOf(card)).toContain('/am unsilence 1a2b3c4d5e6f7081');
    expect((await alerts.states.get('1a2b3c4d5e6f7081'))!.status).toBe('acked'); // silencing takes the alert: no escalation
    await service.act({ action: 'unsilence', id: '1a2b3c4d5e6f7081', by: { id: 'alice', name: 'Alice' } }, tr);
    expect(am.deleted).toEqual(['sil-1']);
    expect(textOf(outbox.sent.at(-1)!)).toContain('/am silence 1a2b3c4d5e6f7081 1h');
  });

  it('a silenced alert that stops firing is resolved by asking Alertmanager (it sends no resolved notification)', async () => {
    const am = { silences: [] as Record<string, unknown>[], deleted: [] as string[], active: ['1a2b3c4d5e6f7081'] };
    const { alerts, outbox, service, now } = setup({ url: await fakeAlertmanager(am) });
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    await service.act({ action: 'silence', id: '1a2b3c4d5e6f7081', by: { id: 'alice', name: 'Alice' }, duration: '4h' }, tr);
    const n = outbox.sent.length;
    now.t += 2000;
    await alerts.tick();
    expect(outbox.sent.length).toBe(n); // still active: nothing to say
    am.active = [];
    now.t += 2000;
    await alerts.tick();
    const last = outbox.sent.at(-1)!;
    expect(textOf(last)).toContain('已恢复');
    expect(textOf(last)).toContain('静默期间已在 Alertmanager 中恢复');
  });

  it('Ack stops escalation and shows who; /alerts lists what is open', async () => {
    const { alerts, service } = setup();
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    await service.act({ action: 'ack', id: '2b3c4d5e6f708192', by: { id: 'bob', name: 'Bob' } }, tr);
    expect((await alerts.states.get('2b3c4d5e6f708192'))!.status).toBe('acked');
    const board = new AlertBoard([{ source: 'alertmanager', states: alerts.states as never, severityOf: (s) => (s as { severity?: string }).severity ?? 'none', sinceOf: () => undefined }]);
    expect((await board.open('demo')).map((a) => a.key).sort()).toEqual(['1a2b3c4d5e6f7081', '2b3c4d5e6f708192', '3c4d5e6f708192a3']);
    expect(await board.counts()).toEqual([{ source: 'alertmanager', severity: 'critical', n: 3 }]);
    await alerts.onNotification(msg('resolved-v4.json'), 'd2');
    expect(await board.open()).toEqual([]);
  });

  it('escalates an unacknowledged critical alert like Sentry alerts (owners + chain @-mentioned); an acked one does not', async () => {
    const { alerts, outbox, now, service, timers } = setup({ am: { escalation: { afterMinutes: 10, to: 'dingtalk:cid-oncall', chain: ['carol'] } } });
    await alerts.onNotification(msg('firing-v4.json'), 'd1');
    await service.act({ action: 'ack', id: '1a2b3c4d5e6f7081', by: { id: 'bob', name: 'Bob' } }, tr);
    now.t += 11 * 60_000;
    await timers.runDue();
    const esc = outbox.to('dingtalk:cid-oncall');
    expect(esc.map((m) => m.cardKey).sort()).toEqual(['alertmanager:escalation:2b3c4d5e6f708192:1', 'alertmanager:escalation:3c4d5e6f708192a3:1']);
    expect(esc[0]!.mentions).toEqual(['ding-alice', 'ding-bob', 'ding-carol']);
    expect(replyToText(esc[0]!.reply)).toContain('[升级]');
  });

  it('offers Rollback for the routed product environment only where opsbot deployed', async () => {
    const deployed = setup({ currentDeploy: async () => ({ release: 'v1.1.0' }) });
    await deployed.alerts.onNotification(msg('firing-v4.json'), 'd1');
    expect(replyToText(deployed.outbox.sent[0]!.reply)).toContain('/rollback demo prod');
    const never = setup({ currentDeploy: async () => undefined });
    await never.alerts.onNotification(msg('firing-v4.json'), 'd1');
    expect(replyToText(never.outbox.sent[0]!.reply)).not.toContain('/rollback');
  });
});
