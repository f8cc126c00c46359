import { describe, expect, it } from 'vitest';
import { deliveryKind, isoTime, mapGitlabDelivery } from '../../../src/sources/gitlab/map.ts';
import { fixtureJson } from './fake-gitlab.ts';
import { fixtureHeaders, WEBHOOK_FIXTURES } from './helpers.ts';

const RECEIVED = 1_700_000_000_000;
function mapFixture(name: string) {
  const body = fixtureJson(`${name}.json`);
  const kind = deliveryKind(body, fixtureHeaders(`${name}.headers.json`)['x-gitlab-event']);
  const events = mapGitlabDelivery(kind, body, RECEIVED, `gitlab:${name}`);
  expect(events).toHaveLength(1);
  expect(events[0]!.deliveryId).toBe(`gitlab:${name}`);
  return events[0]!;
}

describe('map every fixture', () => {
  it('has an expectation for every fixture', () => {
    expect(WEBHOOK_FIXTURES.length).toBe(12);
  });

  it('pipeline-failed', () => {
    const e = mapFixture('pipeline-failed');
    expect(e.type).toBe('gitlab.pipeline.failed');
    expect(e.occurredAt).toBe(Date.parse('2016-08-12T15:26:29Z'));
    const p = e.payload as any;
    expect(p).toMatchObject({
      pipelineId: 31, iid: 3, ref: 'master', tag: false, status: 'failed', source: 'merge_request_event',
      webUrl: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31', finishedAt: '2016-08-12T15:26:29.000Z', durationSeconds: 63,
      project: { id: 1, path: 'gitlab-org/gitlab-test', defaultBranch: 'master', webUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test' },
      user: { username: 'root', name: 'Administrator' },
      commit: { id: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2', title: 'test', authorName: 'User' },
      variables: { NESTOR_PROD_ENVIRONMENT: 'us-west-1' },
      mergeRequest: { iid: 1, title: 'Test' },
    });
    const failed = p.builds.filter((b: any) => b.status === 'failed');
    expect(failed).toEqual([
      { id: 378, name: 'test-build', stage: 'test', status: 'failed', failureReason: 'script_failure', allowFailure: false, webUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378' },
    ]);
    expect(p.builds).toHaveLength(5);
  });

  it('pipeline-running and pipeline-success', () => {
    const r = mapFixture('pipeline-running');
    expect(r.type).toBe('gitlab.pipeline.running');
    expect((r.payload as any).finishedAt).toBeUndefined();
    expect(r.occurredAt).toBe(Date.parse('2016-08-12T15:23:28Z'));
    const s = mapFixture('pipeline-success');
    expect(s.type).toBe('gitlab.pipeline.success');
    expect((s.payload as any).status).toBe('success');
  });

  it('job-created and job-failed (object_kind build; commit.id is the pipeline)', () => {
    const c = mapFixture('job-created');
    expect(c.type).toBe('gitlab.job.created');
    expect(c.payload).toMatchObject({ jobId: 1977, name: 'test', stage: 'test', pipelineId: 2366, ref: 'gitlab-script-trigger', allowFailure: false });
    // failure_reason is only kept for failed jobs
    expect((c.payload as any).failureReason).toBeUndefined();
    const f = mapFixture('job-failed');
    expect(f.type).toBe('gitlab.job.failed');
    expect(f.payload).toMatchObject({ jobId: 1977, status: 'failed', failureReason: 'script_failure', retries: 2, project: { id: 380, path: 'gitlab-org/gitlab-test' } });
    expect(f.occurredAt).toBe(Date.parse('2021-02-23T03:00:27.265Z'));
  });

  it('a job payload without the project object keeps the id', () => {
    const body = fixtureJson('job-failed.json');
    delete body.project;
    const [e] = mapGitlabDelivery('build', body, RECEIVED);
    expect((e!.payload as any).project).toEqual({ id: 380 });
    expect((e!.payload as any).webUrl).toBeUndefined();
  });

  it('merge-request-open and merge-request-merged', () => {
    const o = mapFixture('merge-request-open');
    expect(o.type).toBe('gitlab.merge_request.opened');
    const m = mapFixture('merge-request-merged');
    expect(m.type).toBe('gitlab.merge_request.merged');
    expect(m.payload).toMatchObject({
      iid: 1, title: 'MS-Viewport', state: 'merged', action: 'merge', sourceBranch: 'ms-viewport', targetBranch: 'master',
      url: 'http://example.com/diaspora/merge_requests/1', author: { name: 'GitLab dev user' }, user: { username: 'root' },
      project: { path: 'gitlabhq/gitlab-test', defaultBranch: 'master' }, updatedAt: '2013-12-04T09:12:40.000Z',
    });
  });

  it('an MR event without action is an update', () => {
    const body = fixtureJson('merge-request-open.json');
    delete body.object_attributes.action;
    expect(mapGitlabDelivery('merge_request', body, RECEIVED)[0]!.type).toBe('gitlab.merge_request.updated');
  });

  it('tag-push-create and tag-push-delete', () => {
    const c = mapFixture('tag-push-create');
    expect(c.type).toBe('gitlab.tag.created');
    expect(c.payload).toMatchObject({ tag: 'v1.0.0', sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', protected: true, user: { name: 'John Smith' }, project: { path: 'jsmith/example' } });
    expect(c.occurredAt).toBe(RECEIVED);
    const d = mapFixture('tag-push-delete');
    expect(d.type).toBe('gitlab.tag.deleted');
    expect((d.payload as any).sha).toBeUndefined();
  });

  it('push', () => {
    const e = mapFixture('push');
    expect(e.type).toBe('gitlab.push');
    expect(e.payload).toMatchObject({ branch: 'master', created: false, deleted: false, totalCommits: 4, user: { username: 'jsmith' }, project: { path: 'mike/diaspora' } });
    expect((e.payload as any).commits[0]).toMatchObject({ id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327', title: 'Update Catalan translation to e38cb41.' });
  });

  it('deployment-success (server-local offset timestamp)', () => {
    const e = mapFixture('deployment-success');
    expect(e.type).toBe('gitlab.deployment.success');
    expect(e.payload).toMatchObject({
      deploymentId: 15, status: 'success', environment: 'staging', environmentTier: 'staging', jobId: 796,
      environmentUrl: 'https://staging.example.com', shortSha: '279484c0', statusChangedAt: '2021-04-28T19:50:00.000Z',
      project: { id: 30, path: 'root/test-deployment-webhooks' },
    });
  });

  it('release-create', () => {
    const e = mapFixture('release-create');
    expect(e.type).toBe('gitlab.release.created');
    expect(e.payload).toMatchObject({ tag: 'v1.1', name: 'v1.1', action: 'create', url: 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1' });
  });

  it('unknown kinds map to nothing; known kinds missing essentials throw', () => {
    expect(mapGitlabDelivery('wiki_page', { object_kind: 'wiki_page' }, RECEIVED)).toEqual([]);
    expect(() => mapGitlabDelivery('pipeline', { object_kind: 'pipeline', object_attributes: { id: 1 } }, RECEIVED)).toThrow();
  });

  it('a pipeline payload without url gets one from the project', () => {
    const body = fixtureJson('pipeline-failed.json');
    delete body.object_attributes.url;
    const p = mapGitlabDelivery('pipeline', body, RECEIVED)[0]!.payload as any;
    expect(p.webUrl).toBe('http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31');
  });

  it('parses every GitLab timestamp style', () => {
    expect(isoTime('2016-08-12 15:23:28 UTC')).toBe('2016-08-12T15:23:28.000Z');
    expect(isoTime('2021-04-28 21:50:00 +0200')).toBe('2021-04-28T19:50:00.000Z');
    expect(isoTime('2016-08-12T17:23:21+02:00')).toBe('2016-08-12T15:23:21.000Z');
    expect(isoTime('nonsense')).toBeUndefined();
    expect(isoTime(null)).toBeUndefined();
  });

  it('kind from the header when object_kind is absent', () => {
    expect(deliveryKind({}, 'Member Hook')).toBe('member');
    expect(deliveryKind({ object_kind: 'build' }, 'Job Hook')).toBe('build');
  });
});
