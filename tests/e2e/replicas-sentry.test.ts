// Issue 9 "Done when", first clause: two opsbot processes on one PostgreSQL, each on its own port and
// no load balancer; the same signed Sentry delivery posted to both produces exactly one card in the
// product's DingTalk group (fake DingTalk OpenAPI + Stream gateway on 127.0.0.1).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDingtalk, type FakeDingtalk } from '../helpers/fake-dingtalk-api.ts';
import { usePostgres } from '../helpers/pg.ts';
import { useReplicas } from '../helpers/replicas.ts';

const pgc = usePostgres();
const replicas = useReplicas();
let dingtalk: FakeDingtalk | undefined;
afterEach(async () => {
  await dingtalk?.close();
  dingtalk = undefined;
});

const SECRET = 'e2e-sentry-client-secret';
const GROUP = 'dingtalk:cidE2EpaymentsGroup==';
// event_alert for project "front-end" (data.event.url …/projects/test-org/front-end/…), issue 1117540176.
const BODY = readFileSync(new URL('../fixtures/sentry/sentry-event-alert-triggered.json', import.meta.url), 'utf8');

const YAML = `
people:
  alice: { name: Alice, dingtalk: alice01, roles: [admin] }
teams:
  payments: { members: [alice], chats: ["${GROUP}"] }
products:
  demo:
    team: payments
    owners: [alice]
    sentryProjects: [front-end]
    components: [component-a]
    releases:
      v1.0.0: { component-a: v1.0.0 }
sentry:
  url: http://127.0.0.1:9
  org: test-org
  authToken: e2e-sentry-auth-token
  clientSecret: ${SECRET}
  appSlug: opsbot
`;

/** Posts the fixture exactly as Sentry would: HMAC-SHA256 of the raw body (sentry.md 1.3). */
const postSentry = (base: string) =>
  fetch(`${base}/webhooks/sentry`, {
    method: 'POST',
    body: BODY,
    headers: {
      'content-type': 'application/json',
      'request-id': 'e2e-request-1',
      'sentry-hook-resource': 'event_alert',
      'sentry-hook-timestamp': String(Math.floor(Date.now() / 1000)),
      'sentry-hook-signature': createHmac('sha256', SECRET).update(BODY).digest('hex'),
    },
  }).then(async (r) => ({ status: r.status, body: await r.text() }));

describe('two replicas on one PostgreSQL (processes): Sentry', () => {
  it('the same signed Sentry delivery posted to both replicas gives 200 twice and exactly one card in the team group', async () => {
    dingtalk = await startFakeDingtalk();
    const [a, b] = await replicas.start(2, { databaseUrl: await pgc.current.freshDatabase(), chat: dingtalk.chatYaml(), yaml: YAML, console: false });
    const [ra, rb] = await Promise.all([postSentry(a!.url), postSentry(b!.url)]);
    expect(ra.status, ra.body).toBe(200);
    expect(rb.status, rb.body).toBe(200);
    // Stored once: one replica accepted it, the other saw the same delivery id as a duplicate.
    expect([ra, rb].map((r) => (JSON.parse(r.body) as { duplicate: boolean }).duplicate).sort()).toEqual([false, true]);
    await expect.poll(() => dingtalk!.api.sentTo(GROUP).length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    // Give a second card every chance to show up (processing, outbox budget, Sentry API timeouts).
    await new Promise((r) => setTimeout(r, 4_000));
    const toGroup = dingtalk.api.sentTo(GROUP);
    // One alert in the group: an interactive card, or its markdown fallback (groupMessages/send).
    expect(toGroup.filter((m) => m.kind === 'card' || m.kind === 'group'), JSON.stringify(toGroup.map((m) => [m.kind, m.path]))).toHaveLength(1);
    // Both replicas stayed up, and the body of the one card carries the issue.
    expect(a!.alive() && b!.alive()).toBe(true);
    expect(JSON.stringify(toGroup[0]!.body)).toContain('1117540176');
    // An interactive card with buttons (not the markdown fallback): past 6 buttons the rest are typed commands.
    expect(toGroup[0]!.kind).toBe('card');
  }, 60_000);
});
