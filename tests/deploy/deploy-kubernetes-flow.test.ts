// `/deploy demo v1.1.0 k8s` through the bot's neutral seam and the kubernetes engine, against the fake API
// server: the live card shows the rollout's stage and the workload (with its dashboard link), as does /task.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replyToText } from '../../src/core/bot.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { BASE_YAML, createTestBot } from '../helpers/test-bot.ts';
import { FakeKubernetes } from './fake-kubernetes.ts';
import { until } from './helpers.ts';

let k8s: FakeKubernetes;
let dir: string;
let tb: Awaited<ReturnType<typeof createTestBot>> | undefined;
beforeEach(async () => {
  k8s = new FakeKubernetes();
  await k8s.start();
  k8s.add({ name: 'component-a', containers: [{ name: 'app', image: 'registry.local/demo/component-a:v1.0.0' }] });
  dir = mkdtempSync(join(tmpdir(), 'opsbot-k8s-flow-'));
});
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
  await k8s.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/deploy through the kubernetes engine', () => {
  it('runs to success with the live card showing the stage and the workload link', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `current-context: demo\nclusters: [{ name: fake, cluster: { server: "${k8s.url}" } }]\nusers: [{ name: bot, user: { token: "${k8s.token}" } }]\ncontexts: [{ name: demo, context: { cluster: fake, user: bot } }]\n`,
    );
    const env = `      k8s: { engine: { type: kubernetes, kubeconfig: "${kubeconfig}", namespace: demo, image: "registry.local/demo/{component}:{version}", dashboardUrl: "https://dash.local/#/{kind}/{namespace}/{name}", workloads: { component-a: { kind: Deployment, name: component-a, container: app } } } }\n`;
    tb = await createTestBot({ yaml: `${BASE_YAML}${env}deploy: { progressThrottleMs: 0, pollIntervalMs: 10, maxPollIntervalMs: 20 }\n` });
    const deploys = tb.opsbot.services.get(DEPLOYS)!;
    const cards = () => tb!.adapter.sent.filter((m) => m.cardKey === 'task:1').map((m) => replyToText(m.reply));

    expect((await tb.say('/deploy demo v1.1.0 k8s'))[0]).toMatch(/Deploy #1/);
    await until(async () => (await deploys.get('1'))?.state === 'succeeded', 10_000);
    await deploys.idle();

    const all = cards();
    expect(all[0]).toMatch(/Deploy #1: demo v1.1.0 → k8s/);
    // The stage as the rollout moved, on the live card while it ran.
    expect(all.some((c) => c.includes('running') && c.includes('new replicas updated'))).toBe(true);
    const last = all.at(-1)!;
    expect(last).toContain('succeeded');
    expect(last).toContain('Target: deployment/component-a in demo');
    expect(last).toContain('https://dash.local/#/deployment/demo/component-a');
    expect(last).toContain('deployment/component-a successfully rolled out');
    expect(k8s.patches()).toHaveLength(1);

    const task = (await tb.say('/task 1')).join('\n');
    expect(task).toContain('deployment/component-a in demo');
    expect(task).toContain('https://dash.local/#/deployment/demo/component-a');
    expect(JSON.stringify(tb.adapter.sent)).not.toContain(k8s.token);
    expect((await tb.say('/status demo')).join('\n')).toMatch(/k8s\*\*: v1\.1\.0/);
  });
});
