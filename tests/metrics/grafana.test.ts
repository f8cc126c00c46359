// deploy/grafana/opsbot.json uses only opsbot's series (issue 21 §4): every metric a panel queries is
// one the bot registers (or one contract.md names for another feature: alerts, platform quota), and
// every query is valid PromQL, as `promtool check rules` parses it (template variables filled in).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestBot } from '../helpers/test-bot.ts';
import { filled } from './grafana-vars.ts';
import { PROMTOOL_BIN } from './promtool.ts';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/opsbot.json', import.meta.url), 'utf8')) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
/** Contract series that other features register (only when their platform or engine is configured). */
const FROM_OTHER_FEATURES = ['opsbot_alerts_open', 'opsbot_platform_calls_total', 'opsbot_platform_quota_remaining'];


describe('Grafana dashboard', () => {
  it('queries only series the bot exposes', async () => {
    const tb = await createTestBot();
    try {
      const families = (await tb.opsbot.metrics.registry.getMetricsAsJSON()).map((m) => m.name);
      const known = new Set([...families, ...FROM_OTHER_FEATURES]);
      const used = new Set(exprs.flatMap((e) => e.match(/opsbot_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
      expect(used.size).toBeGreaterThan(15);
      expect([...used].filter((n) => !known.has(n))).toEqual([]);
      for (const n of ['opsbot_dora_deployments', 'opsbot_dora_change_failure_ratio', 'opsbot_deploys_total', 'opsbot_deploy_duration_seconds', 'opsbot_webhook_deliveries_total']) expect(used).toContain(n);
    } finally {
      await tb.stop();
    }
  });

  it('every query is valid PromQL (promtool check rules)', async () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['product', 'env', 'window']);
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-grafana-'));
    try {
      const rules = ['groups:', '  - name: dashboard', '    rules:', ...exprs.map((e, i) => `      - record: opsbot:dashboard_query_${i}\n        expr: ${JSON.stringify(filled(e))}`)].join('\n');
      const file = join(dir, 'rules.yml');
      writeFileSync(file, rules + '\n');
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(PROMTOOL_BIN, ['check', 'rules', file]);
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.once('error', reject);
        child.once('close', (c) => resolve({ code: c, output: out }));
      });
      expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
