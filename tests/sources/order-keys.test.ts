/**
 * Each source names what must be processed in order (Identified.orderKey), from the real payloads:
 * the states of one Sentry issue or metric incident, one Alertmanager group, one GitLab pipeline.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertmanagerSource } from '../../src/sources/alertmanager/source.ts';
import { gitlabOrderKey } from '../../src/sources/gitlab/routes.ts';
import { sentryOrderKey } from '../../src/sources/sentry/routes.ts';
import type { RawRequest } from '../../src/core/transport.ts';

const json = (p: string) => JSON.parse(readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('order keys', () => {
  it('Sentry: an issue alert, the issue and its comment share the issue; a metric alert keys its incident', () => {
    const alert = json('sentry/sentry-event-alert-triggered.json');
    const issueId = String(((alert.data as { event: { issue_id: unknown } }).event).issue_id);
    expect(sentryOrderKey('event_alert', alert)).toBe(`issue:${issueId}`);
    const resolved = json('sentry/sentry-issue-resolved.json');
    expect(sentryOrderKey('issue', resolved)).toBe(`issue:${String((resolved.data as { issue: { id: unknown } }).issue.id)}`);
    const comment = json('sentry/sentry-comment-created.json');
    expect(sentryOrderKey('comment', comment)).toBe(`issue:${String((comment.data as { issue_id: unknown }).issue_id)}`);
    const critical = sentryOrderKey('metric_alert', json('sentry/sentry-metric-alert-critical.json'));
    expect(critical).toMatch(/^metric:/);
    expect(sentryOrderKey('metric_alert', json('sentry/sentry-metric-alert-resolved.json'))).toBe(critical);
    expect(sentryOrderKey('installation', json('sentry/sentry-installation-created.json'))).toBeUndefined();
  });

  it('Alertmanager: firing and resolved of one group share the key', () => {
    const src = alertmanagerSource({ token: 't' } as never);
    const keyOf = (f: string) => src.identify({} as RawRequest, json(`alertmanager/${f}`)).orderKey;
    expect(keyOf('firing-v4.json')).toMatch(/^group:/);
    expect(keyOf('resolved-v4.json')).toBe(keyOf('firing-v4.json'));
  });

  it('GitLab: a pipeline event and its jobs share the pipeline; a merge request is not ordered', () => {
    const running = json('gitlab/pipeline-running.json');
    const key = gitlabOrderKey('pipeline', running);
    expect(key).toBe(`pipeline:${String((running.project as { id: unknown }).id)}:${String((running.object_attributes as { id: unknown }).id)}`);
    expect(gitlabOrderKey('pipeline', json('gitlab/pipeline-failed.json'))).toMatch(/^pipeline:/);
    const job = json('gitlab/job-failed.json');
    expect(gitlabOrderKey('build', job)).toBe(`pipeline:${String(job.project_id)}:${String(job.pipeline_id)}`);
    expect(gitlabOrderKey('merge_request', json('gitlab/merge-request-open.json'))).toBeUndefined();
  });
});
