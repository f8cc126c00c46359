/** A product whose gitlabProject is the numeric id matches webhooks as one given by path (issue 19 §3). */
import { describe, expect, it } from 'vitest';
import { gitlabProcessor } from '../../../src/sources/gitlab/index.ts';
import { configuredPath, matchProject } from '../../../src/sources/gitlab/routing.ts';
import { fixtureJson } from './fake-gitlab.ts';
import { CHAT, harness, testConfig, type Harness } from './harness.ts';

let n = 0;
async function deliver(h: Harness, kind: string, body: unknown): Promise<void> {
  await gitlabProcessor(h.services)({
    id: `gitlab:n${++n}`, source: 'gitlab', kind, dedupeKey: `n${n}`, headers: {}, body: JSON.stringify(body),
    receivedAt: Date.now(), status: 'pending', attempts: 0,
  });
}

describe('gitlabProject given by numeric id', () => {
  it('matches by id as well as by path', () => {
    const cfg = testConfig({ gitlabProject: '1' });
    expect(matchProject(cfg, 'gitlab-org/gitlab-test', 1)).toEqual([{ product: 'demo', configuredPath: '1' }]);
    expect(matchProject(cfg, 'gitlab-org/gitlab-test', 2)).toEqual([]);
    expect(matchProject(cfg, undefined, 1)).toEqual([{ product: 'demo', configuredPath: '1' }]);
    expect(configuredPath(cfg, 'gitlab-org/gitlab-test', 1)).toBe('1');
  });

  it('a pipeline hook (project id 1) gets the product’s card and reaches the engine under the configured id', async () => {
    const h = harness({ config: testConfig({ gitlabProject: '1' }) });
    await deliver(h, 'pipeline', fixtureJson('pipeline-failed.json'));
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]).toMatchObject({ to: CHAT, cardKey: 'gitlab:pipeline:31' });
    const updates = h.events.filter((e) => e.type === 'deploy.pipeline.updated').map((e) => e.payload as { project: string; projectId: number });
    expect(updates).toMatchObject([{ project: '1', projectId: 1 }]);
  });
});
