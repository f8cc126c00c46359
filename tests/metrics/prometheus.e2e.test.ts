// Issue 21 "Done when" (Prometheus half): a real Prometheus scrapes the bot on 127.0.0.1 every second
// while the scripted week (week.ts) runs real deploys and records alerts; PromQL over its HTTP API then
// answers the deploy count and the change failure rate computed by hand there, and promtool finds
// opsbot's own series clean.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { replyToText } from '../../src/core/bot.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { fixtureBytes, fixtureHeaders, SECRET as GITLAB_SECRET } from '../sources/gitlab/helpers.ts';
import { filled } from './grafana-vars.ts';
import { defaultFamilies, promtoolCheck, withoutFamilies } from './promtool.ts';
import { startPrometheus, type RealPrometheus } from './real-prometheus.ts';
import { fakeClock, runWeek, W, WEEK_YAML } from './week.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('real Prometheus scraping the bot', () => {
  it('answers the deploy count and change failure rate of the scripted week through PromQL', { timeout: 180_000 }, async () => {
    const clock = fakeClock(W - 4 * 86_400_000);
    // The DORA gauges are cached for a second here: scrapes during the week see fresh figures soon.
    // GitLab on (a made-up URL nothing calls: a push event only becomes a card) so webhooks reach the counters too.
    const gitlab = `gitlab: { url: "http://127.0.0.1:9", token: glpat-test-0000, webhookSecret: ${GITLAB_SECRET} }\n`;
    const { config } = loadConfig({ file: 'test.yaml', text: `${WEEK_YAML}metrics: { doraCacheSeconds: 1 }\n${gitlab}`, env: {} });
    const store = new MemoryStore();
    const adapter = new CaptureAdapter();
    const opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), store, adapters: [adapter], clock: clock.now });
    const server = await opsbot.start({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => opsbot.stop());
    const botPort = (server!.address() as AddressInfo).port;
    const prom: RealPrometheus = await startPrometheus(`127.0.0.1:${botPort}`);
    cleanups.push(() => prom.stop());
    await prom.waitFor('up{job="opsbot"}', (v) => v === 1);

    let n = 0;
    const say = async (text: string) => {
      const before = adapter.sent.length;
      await opsbot.bot.handleMessage(CaptureAdapter.message(text, { id: `e2e-${++n}` }));
      await opsbot.bot.idle();
      return adapter.sent.slice(before).map((m) => replyToText(m.reply)).join('\n');
    };
    await runWeek({ opsbot, store }, clock);
    // Webhooks (the fixture push from /work/shared/fixtures/gitlab): accepted, the same again (duplicate), a wrong token.
    const push = (token: string) =>
      fetch(`http://127.0.0.1:${botPort}/webhooks/gitlab`, { method: 'POST', headers: { ...fixtureHeaders('push.headers.json'), 'x-gitlab-token': token }, body: fixtureBytes('push.json') }).then((r) => r.status);
    expect([await push(GITLAB_SECRET), await push(GITLAB_SECRET), await push('wrong')]).toEqual([200, 200, 401]);

    // The counters: six deploy tasks (five succeeded, one failed) and one rollback, from deploy.finished.
    expect(await prom.waitFor('sum(opsbot_deploys_total{product="demo"})', (v) => v === 6)).toBe(6);
    expect((await prom.query('sum(opsbot_deploys_total{product="demo",result="failed"})'))[0]?.value).toBe(1);
    expect((await prom.query('sum(opsbot_rollbacks_total{product="demo",result="succeeded"})'))[0]?.value).toBe(1);
    // The DORA gauges over the last 7 days (the fake "now" is the end of the week).
    expect(await prom.waitFor('sum(opsbot_dora_deployments{product="demo",window="7d"})', (v) => v === 4)).toBe(4);
    const cfr = await prom.waitFor(
      'sum(opsbot_dora_failed_changes{product="demo",window="7d"}) / sum(opsbot_dora_changes{product="demo",window="7d"})',
      (v) => v !== undefined && Math.abs(v - 0.4) < 1e-9,
    );
    expect(cfr).toBeCloseTo(0.4);
    expect((await prom.query('opsbot_dora_change_failure_ratio{product="demo",env="env-1",window="7d"}'))[0]?.value).toBe(0.5);
    expect((await prom.query('opsbot_dora_lead_time_seconds{product="demo",env="prod",window="7d"}'))[0]?.value).toBe(23 * 3600);
    // Commands by name and outcome: seven deploy/rollback commands ran.
    expect(await prom.waitFor('sum(opsbot_commands_total{command=~"deploy|rollback",outcome="ok"})', (v) => v === 7)).toBe(7);

    // The dashboard's own stat queries (deploy/grafana/opsbot.json, variables as "All" and 7d) answer the same.
    const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/opsbot.json', import.meta.url), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const panelQuery = (title: string) => filled(dashboard.panels.find((p) => p.title === title)!.targets![0]!.expr);
    expect((await prom.query(panelQuery('Deployments')))[0]?.value).toBe(4);
    expect((await prom.query(panelQuery('Change failure rate')))[0]?.value).toBeCloseTo(0.4);

    for (const outcome of ['accepted', 'duplicate', 'rejected_unauthorized']) {
      expect(await prom.waitFor(`sum(opsbot_webhook_deliveries_total{source="gitlab",outcome="${outcome}"})`, (v) => v === 1)).toBe(1);
    }

    // The chat answers the same week with the same figures.
    expect(await say('/stats demo 7d')).toContain('40% (2/5)');

    // promtool: opsbot's own series are clean (prom-client's default Node families left out: promtool.ts).
    const res = await fetch(`http://127.0.0.1:${botPort}/metrics`);
    const text = await res.text();
    const checked = withoutFamilies(text, await defaultFamilies());
    expect(checked).toContain('opsbot_dora_change_failure_ratio');
    expect(await promtoolCheck(checked)).toEqual({ code: 0, output: '' });
  });
});
