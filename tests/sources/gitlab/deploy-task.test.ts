/**
 * Issue 8 §4: a deploy task following a GitLab pipeline moves at once when the webhook arrives
 * (through the deploy feature's gitlab-pipeline engine, listening to `deploy.pipeline.updated`).
 */
import { describe, expect, it } from 'vitest';
import { createGitlabPipelineEngine } from '../../../src/deploy/engines/gitlab-pipeline.ts';
import type { EngineContext } from '../../../src/deploy/engines/types.ts';
import { fixtureRequest } from './helpers.ts';
import { harness } from './harness.ts';

describe('deploy task moved by webhooks', () => {
  it('a Pipeline Hook for the task\'s pipeline ends the engine run without waiting for a poll', async () => {
    const h = harness();
    let polls = 0;
    const engine = createGitlabPipelineEngine({
      api: {
        createPipeline: async () => { throw new Error('not used'); },
        getPipeline: async (project, id) => {
          polls++;
          return { id, status: 'running', ref: 'master', sha: 'x', webUrl: `https://g/${project}/-/pipelines/${id}` };
        },
        cancelPipeline: async () => { throw new Error('not used'); },
      },
      events: h.services.events,
      pollIntervalMs: 60_000,
      maxPollIntervalMs: 60_000,
    });
    const log: string[] = [];
    const ctx = {
      task: { id: '42', product: 'demo', release: 'v1.1.0', env: 'prod', components: {}, engineRef: { pipelineId: 31, project: 'gitlab-org/gitlab-test' } },
      product: h.services.config.products.demo,
      environment: h.services.config.products.demo!.environments.prod,
      hooks: { log: (l: string[]) => log.push(...l), setRef: async () => {} },
    } as unknown as EngineContext;
    const run = engine.resume!(ctx)!;
    await new Promise((r) => setTimeout(r, 20)); // the first poll says running
    const started = Date.now();
    expect((await h.route.handle(fixtureRequest('pipeline-failed'))).status).toBe(200);
    await h.deliveries.idle();
    const result = await run.done;
    expect(result).toEqual({ outcome: 'failed', reason: 'pipeline failed' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(polls).toBe(1);
    expect(log.join('\n')).toContain('pipeline #31: failed');
  });
});
