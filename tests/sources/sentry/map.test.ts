import { describe, expect, it } from 'vitest';
import { isOwnActor, mapSentryDelivery, type SentryEventPayload } from '../../../src/sources/sentry/map.ts';
import { fixtureText, vectors } from './helpers.ts';

function mapWire(file: string): { type: string; payload: SentryEventPayload }[] {
  const i = vectors.fixture_wire_bodies.items.find((x) => x.file === file)!;
  return mapSentryDelivery({ id: 'd1', kind: `${i.resource}.${i.action}`, body: i.body, receivedAt: 1 });
}

describe('mapSentryDelivery', () => {
  it('event_alert.triggered → issue info with the slug parsed from the event url', () => {
    const [e] = mapWire('sentry-event-alert-triggered.json');
    expect(e!.type).toBe('sentry.event_alert.triggered');
    expect(e!.payload.issue).toMatchObject({
      issueId: '1117540176',
      projectSlug: 'front-end',
      title: 'ReferenceError: heck is not defined',
      culprit: '?(<anonymous>)',
      level: 'error',
      url: 'https://sentry.io/organizations/test-org/issues/1117540176/',
      rule: 'Very Important Alert Rule!',
    });
    expect(e!.payload.actor).toEqual({ type: 'application', id: 'sentry', name: 'Sentry' });
  });

  it('metric_alert.critical and .resolved → metric info keyed on the alert rule', () => {
    const [c] = mapWire('sentry-metric-alert-critical.json');
    expect(c!.type).toBe('sentry.metric_alert.critical');
    expect(c!.payload.metric).toMatchObject({ ruleId: '7', identifier: '1', title: 'Critical: My Metric Alert', projects: ['my-proj'] });
    const [r] = mapWire('sentry-metric-alert-resolved.json');
    expect(r!.type).toBe('sentry.metric_alert.resolved');
    expect(r!.payload.metric!.description).not.toContain('\\n');
  });

  it('issue.created / resolved / assigned (docs, mocks and derived)', () => {
    const [c] = mapWire('sentry-issue-created.json');
    expect(c!.type).toBe('sentry.issue.created');
    expect(c!.payload.issue).toMatchObject({ issueId: '1170820242', shortId: 'FRONT-END-9', projectSlug: 'front-end', sentryCount: 1, userCount: 1, status: 'unresolved' });
    const [r] = mapWire('sentry-issue-resolved-derived.json');
    expect(r!.type).toBe('sentry.issue.resolved');
    expect(r!.payload.issue!.resolutionType).toBe('now');
    expect(r!.payload.actor.type).toBe('user');
    const [a] = mapWire('sentry-issue-assigned-derived.json');
    expect(a!.type).toBe('sentry.issue.assigned');
    expect(a!.payload.issue!.assignee).toMatchObject({ type: 'user', name: 'Meredith Heller', email: 'meredith@example.com' });
    expect(mapWire('sentry-issue-resolved.json')[0]!.payload.issue!.issueId).toBe('123');
    expect(mapWire('sentry-issue-assigned.json')[0]!.type).toBe('sentry.issue.assigned');
  });

  it('"actortype.user" assignee type and the legacy "archived" action are normalised', () => {
    const body = JSON.stringify({ action: 'archived', data: { issue: { id: '9' }, assignee: { type: 'actortype.team', name: 'ops', id: 3 } }, actor: { type: 'user', id: 1, name: 'u' } });
    const [e] = mapSentryDelivery({ id: 'x', kind: 'issue.archived', body, receivedAt: 1 });
    expect(e!.type).toBe('sentry.issue.ignored');
    expect(e!.payload.issue!.assignee!.type).toBe('team');
  });

  it('comment.created and installation.created', () => {
    const [c] = mapWire('sentry-comment-created.json');
    expect(c!.type).toBe('sentry.comment.created');
    expect(c!.payload.comment).toEqual({ issueId: '100', commentId: '1234', text: 'adding a comment', projectSlug: 'sentry' });
    const [i] = mapWire('sentry-installation-created.json');
    expect(i!.type).toBe('sentry.installation.created');
    expect(i!.payload.installation).toMatchObject({ uuid: 'a8e5d37a-696c-4c54-adb5-b3f28d64c7de', appSlug: 'webhooks-galore', org: 'test-org' });
  });

  it('legacy plugin → sentry.event_alert.triggered', () => {
    const [e] = mapSentryDelivery({ id: 'l', kind: 'legacy.triggered', body: fixtureText('sentry-legacy-webhook-plugin.json'), receivedAt: 1 });
    expect(e!.type).toBe('sentry.event_alert.triggered');
    expect(e!.payload.legacy).toBe(true);
    expect(e!.payload.issue).toMatchObject({
      issueId: '1385042923',
      projectSlug: 'meow',
      title: 'ReferenceError: hello is not defined',
      level: 'error',
      url: 'https://sentry.io/organizations/meredith/issues/1385042923/',
      rule: 'Webhook Test',
    });
  });

  it('unknown resources map to nothing', () => {
    expect(mapSentryDelivery({ id: 'u', kind: 'seer.completed', body: '{"action":"completed","data":{}}', receivedAt: 1 })).toEqual([]);
  });

  it('isOwnActor: our app by slug or id; Sentry itself and users are real', () => {
    const cfg = { appSlug: 'opsbot', appId: 'uuid-1' };
    expect(isOwnActor({ type: 'application', id: 'uuid-x', name: 'OpsBot' }, cfg)).toBe(true);
    expect(isOwnActor({ type: 'application', id: 'uuid-1', name: 'whatever' }, cfg)).toBe(true);
    expect(isOwnActor({ type: 'application', id: 'sentry', name: 'Sentry' }, cfg)).toBe(false);
    expect(isOwnActor({ type: 'application', id: 'uuid-2', name: 'Other App' }, cfg)).toBe(false);
    expect(isOwnActor({ type: 'user', id: '1', name: 'opsbot' }, cfg)).toBe(false);
  });
});
