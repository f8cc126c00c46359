import { describe, expect, it } from 'vitest';
import { gitlabProcessor } from '../../../src/sources/gitlab/index.ts';
import type { Card } from '../../../cards/model.ts';
import { cardToText } from '../../../cards/model.ts';
import { fixtureJson } from './fake-gitlab.ts';
import { CHAT, harness, testConfig, type Harness } from './harness.ts';

let n = 0;
async function deliver(h: Harness, kind: string, body: unknown): Promise<void> {
  await gitlabProcessor(h.services)({
    id: `gitlab:t${++n}`, source: 'gitlab', kind, dedupeKey: `t${n}`, headers: {}, body: JSON.stringify(body),
    receivedAt: Date.now(), status: 'pending', attempts: 0,
  });
}
const card = (i: number, h: Harness): Card => {
  const m = h.sent[i]!;
  if (m.reply.kind !== 'card') throw new Error('not a card');
  return m.reply.card;
};
const buttons = (c: Card) => c.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
const pipeline = (name: string, patch: { id?: number; buildOffset?: number; ref?: string } = {}) => {
  const body = fixtureJson(`${name}.json`);
  if (patch.id) {
    body.object_attributes.id = patch.id;
    body.object_attributes.url = `http://example.com/gitlab-org/gitlab-test/-/pipelines/${patch.id}`;
  }
  if (patch.ref) body.object_attributes.ref = patch.ref;
  if (patch.buildOffset) for (const b of body.builds) b.id += patch.buildOffset;
  return body;
};
const pipelineUpdates = (h: Harness) => h.events.filter((e) => e.type === 'deploy.pipeline.updated').map((e) => e.payload as any);

describe('pipeline reactions', () => {
  it('a failed pipeline on a watched ref → one card with ref, commit, author, failed job link and Retry', async () => {
    const h = harness();
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]).toMatchObject({ to: CHAT, cardKey: 'gitlab:pipeline:31' });
    const c = card(0, h);
    expect(c.tone).toBe('danger');
    expect(c.title).toBe('Pipeline failed: demo master #31');
    const txt = cardToText(c);
    expect(txt).toContain('Ref: master');
    expect(txt).toContain('bcbb5ec3 test');
    expect(txt).toContain('Author: User');
    expect(txt).toContain('[test-build](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378)');
    expect(txt).toContain('script_failure');
    expect(buttons(c)[0]).toEqual({ label: 'Retry', action: { command: '/gitlab retry demo 31' }, style: 'primary' });
    expect(pipelineUpdates(h)).toEqual([
      { project: 'gitlab-org/gitlab-test', projectId: 1, pipelineId: 31, status: 'failed', webUrl: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31', via: 'pipeline' },
    ]);
  });

  it('the next successful pipeline on that ref says recovered; later successes are quiet', async () => {
    const h = harness();
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    await deliver(h, 'pipeline', pipeline('pipeline-success', { id: 32 }));
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]!.cardKey).toBe('gitlab:pipeline:32');
    const c = card(1, h);
    expect(c.tone).toBe('success');
    expect(c.title).toBe('Pipeline recovered: demo master #32');
    expect(cardToText(c)).toContain('master recovered (previously failed pipeline #31)');
    expect(buttons(c).some((b) => 'command' in b.action)).toBe(false);
    await deliver(h, 'pipeline', pipeline('pipeline-success', { id: 33 }));
    expect(h.sent).toHaveLength(2);
  });

  it('a retried pipeline updates its own card in place: retrying, then recovered', async () => {
    const h = harness();
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    await deliver(h, 'pipeline', pipeline('pipeline-running', { buildOffset: 100 }));
    await deliver(h, 'pipeline', pipeline('pipeline-success', { buildOffset: 100 }));
    expect(h.sent.map((m) => m.cardKey)).toEqual(['gitlab:pipeline:31', 'gitlab:pipeline:31', 'gitlab:pipeline:31']);
    expect(card(1, h).title).toBe('Pipeline retrying: demo master #31');
    expect(cardToText(card(1, h))).toContain('Retrying; this card updates when it finishes');
    expect(buttons(card(1, h)).some((b) => 'command' in b.action)).toBe(false);
    expect(card(2, h).title).toBe('Pipeline recovered: demo master #31');
  });

  it('repeated and out-of-order snapshots change nothing', async () => {
    const h = harness();
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    await deliver(h, 'pipeline', pipeline('pipeline-running')); // older snapshot arriving late
    expect(h.sent).toHaveLength(1);
    expect(pipelineUpdates(h).map((u) => u.status)).toEqual(['failed']);
  });

  it('success without an earlier failure, and unwatched refs, send no card but still move deploy tasks', async () => {
    const h = harness();
    await deliver(h, 'pipeline', pipeline('pipeline-success'));
    await deliver(h, 'pipeline', pipeline('pipeline-failed', { id: 40, ref: 'feature/x' }));
    expect(h.sent).toHaveLength(0);
    expect(pipelineUpdates(h).map((u) => [u.pipelineId, u.status])).toEqual([[31, 'success'], [40, 'failed']]);
  });

  it('watchedRefs from config (wildcards) replace the default branch', async () => {
    const h = harness({ gitlab: { ...(await import('./harness.ts')).gitlabConfig, watchedRefs: ['release/*'] } });
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    await deliver(h, 'pipeline', pipeline('pipeline-failed', { id: 41, ref: 'release/1.2' }));
    expect(h.sent.map((m) => m.cardKey)).toEqual(['gitlab:pipeline:41']);
  });

  it('unmapped projects get no card', async () => {
    const h = harness({ config: testConfig({ gitlabProject: 'someone/else' }) });
    await deliver(h, 'pipeline', pipeline('pipeline-failed'));
    expect(h.sent).toHaveLength(0);
  });

  it('a pipeline payload without builds lists failed jobs through the API', async () => {
    const h = harness({
      api: {
        createPipeline: async () => { throw new Error('x'); }, getPipeline: async () => { throw new Error('x'); },
        listPipelines: async () => [], retryPipeline: async () => { throw new Error('x'); }, cancelPipeline: async () => { throw new Error('x'); },
        listPipelineJobs: async (project, id, o) => {
          expect([project, id, o?.scope]).toEqual(['gitlab-org/gitlab-test', 31, ['failed']]);
          return [{ id: 9, name: 'lint', stage: 'test', status: 'failed', webUrl: 'https://g/-/jobs/9', failureReason: 'script_failure' }];
        },
      },
    });
    const body = pipeline('pipeline-failed');
    delete body.builds;
    await deliver(h, 'pipeline', body);
    expect(cardToText(card(0, h))).toContain('[lint](https://g/-/jobs/9)');
  });

  it('deployment events move the deploy task of the pipeline that ran the job', async () => {
    const h = harness();
    const job = fixtureJson('job-failed.json');
    job.build_id = 796;
    job.project_id = 30;
    job.project.id = 30;
    job.environment = { name: 'staging', action: 'start', deployment_tier: 'staging' };
    await deliver(h, 'build', job);
    await deliver(h, 'deployment', fixtureJson('deployment-success.json'));
    expect(pipelineUpdates(h)).toEqual([
      {
        project: 'root/test-deployment-webhooks', projectId: 30, pipelineId: 2366, status: 'running', via: 'deployment',
        webUrl: 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796', environment: 'staging', deploymentStatus: 'success',
      },
    ]);
  });

  it('deploy jobs are learned from pipeline builds too', async () => {
    const h = harness();
    const body = pipeline('pipeline-running');
    const deployJob = body.builds.find((b: any) => b.environment);
    expect(deployJob).toBeDefined();
    const dep = fixtureJson('deployment-success.json');
    dep.project = body.project;
    dep.deployable_id = deployJob.id;
    await deliver(h, 'pipeline', body);
    await deliver(h, 'deployment', dep);
    expect(pipelineUpdates(h).at(-1)).toMatchObject({ pipelineId: 31, via: 'deployment', status: 'running', deploymentStatus: 'success' });
  });

  it('deploy.pipeline.updated uses the project spelling of the deploy engine config', async () => {
    const cfg = testConfig({
      gitlabProject: undefined,
      environments: { prod: { protected: true, engine: { type: 'gitlab-pipeline', project: 'Gitlab-Org/Gitlab-Test', ref: 'main' } } },
    });
    const h = harness({ config: cfg });
    await deliver(h, 'pipeline', pipeline('pipeline-running'));
    expect(pipelineUpdates(h)[0]!.project).toBe('Gitlab-Org/Gitlab-Test');
  });
});

describe('merge request reactions', () => {
  it('merged into the default branch → title, author, link; once', async () => {
    // `other` maps GitlabHQ/Gitlab-Test (case-insensitive) = the MR fixture's project
    const h = harness();
    await deliver(h, 'merge_request', fixtureJson('merge-request-merged.json'));
    await deliver(h, 'merge_request', fixtureJson('merge-request-merged.json'));
    await deliver(h, 'merge_request', fixtureJson('merge-request-open.json'));
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.cardKey).toBe('gitlab:mr:1:1');
    const c = card(0, h);
    expect(c.title).toBe('Merge request merged: other !1');
    const txt = cardToText(c);
    expect(txt).toContain('MS-Viewport');
    expect(txt).toContain('Author: GitLab dev user');
    expect(txt).toContain('http://example.com/diaspora/merge_requests/1');
  });

  it('merged into another branch → nothing', async () => {
    const h = harness();
    const body = fixtureJson('merge-request-merged.json');
    body.object_attributes.target_branch = 'develop';
    await deliver(h, 'merge_request', body);
    expect(h.sent).toHaveLength(0);
  });
});

describe('tag reactions', () => {
  it('a new tag on the product project → release candidate with Deploy buttons per environment', async () => {
    const h = harness({ config: testConfig({ gitlabProject: 'jsmith/example' }) });
    await deliver(h, 'tag_push', fixtureJson('tag-push-create.json'));
    await deliver(h, 'tag_push', fixtureJson('tag-push-create.json'));
    await deliver(h, 'tag_push', fixtureJson('tag-push-delete.json'));
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.cardKey).toBe('gitlab:tag:demo:v1.0.0');
    const c = card(0, h);
    expect(c.title).toBe('Release candidate: demo v1.0.0');
    expect(buttons(c).filter((b) => 'command' in b.action)).toEqual([
      { label: 'Deploy to env-1', action: { command: '/deploy demo v1.0.0 env-1' }, style: 'primary' },
      { label: 'Deploy to prod (confirm)', action: { command: '/deploy demo v1.0.0 prod' }, style: 'danger' },
    ]);
  });

  it('a tag on a component project registers the version; releasesFromTags makes and announces a release', async () => {
    const cfg = testConfig({ componentProjects: { 'component-b': 'jsmith/example' }, releasesFromTags: { component: 'component-b' } });
    const h = harness({ config: cfg });
    await deliver(h, 'tag_push', fixtureJson('tag-push-create.json'));
    const versions = await h.store.collection<any>('gitlab-component-versions', { tier: 'hot' }).get('demo/component-b');
    expect(versions).toMatchObject({ version: 'v1.0.0', sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7' });
    const rel = await h.store.collection<any>('releases', { tier: 'hot' }).get('demo/v1.0.0');
    expect(rel).toMatchObject({ product: 'demo', version: 'v1.0.0', components: { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' } });
    expect(card(0, h).title).toBe('New release: demo v1.0.0');
    expect(buttons(card(0, h)).map((b) => ('command' in b.action ? b.action.command : ''))).toContain('/deploy demo v1.0.0 env-1');
  });

  it('a component tag without a rule is registered silently', async () => {
    const h = harness({ config: testConfig({ componentProjects: { 'component-b': 'jsmith/example' } }) });
    await deliver(h, 'tag_push', fixtureJson('tag-push-create.json'));
    expect(h.sent).toHaveLength(0);
    expect(await h.store.collection<any>('gitlab-component-versions', { tier: 'hot' }).count()).toBe(1);
  });
});
