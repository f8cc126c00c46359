/**
 * No secret from the config appears in any log line or chat message: a real bot process with known
 * secrets for every source/platform (console chat on stdout, logs on stderr at debug level) gets signed
 * and unsigned webhook traffic, chat messages over DingTalk HTTP / WeCom (whose replies fail against a
 * dead API base, so error paths log too) and console commands; then stdout+stderr are grepped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stopChild, type Child } from '../../bench/lib/proc.ts';
import { eventAlertBody, eventId, sentryHeaders } from '../../bench/lib/sentry.ts';
import { fuzzer } from './fuzz-bodies.ts';
import { allSourcesYaml, appTextPlain, appXml, CORP_ID, dingtalkHeaders, freePort, gitlabSigned, post, SECRETS, startChild, tempDir, wecomSealed } from './helpers.ts';
import { readFileSync } from 'node:fs';

const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
});

/** Each secret, plus the forms it could leak in (URL-encoded, the signing key's base64 body). */
function needles(): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(SECRETS)) {
    out.push([k, v]);
    if (encodeURIComponent(v) !== v) out.push([`${k} (url-encoded)`, encodeURIComponent(v)]);
  }
  out.push(['gitlabSigningToken key', SECRETS.gitlabSigningToken.slice('whsec_'.length)]);
  return out;
}

describe('secrets stay secret', () => {
  it('no configured secret in stdout (console chat) or stderr (logs) after mixed traffic and commands', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const bot = await startChild(allSourcesYaml({ dataDir, port, logLevel: 'debug', console: true }), dataDir, port, {}, 'pipe');
    children.push(bot);
    const u = (p: string) => `http://127.0.0.1:${port}${p}`;

    // Webhooks, signed and not.
    const body = eventAlertBody(eventId('5c', 1));
    await post(u('/webhooks/sentry'), body, sentryHeaders(body, SECRETS.sentryClientSecret));
    await post(u('/webhooks/sentry'), body, sentryHeaders(body, 'wrong'));
    const legacy = readFileSync('/work/shared/fixtures/sentry/sentry-legacy-webhook-plugin.json', 'utf8');
    await post(u(`/webhooks/sentry/legacy/${SECRETS.sentryLegacyToken}`), legacy, { 'content-type': 'application/json' });
    await post(u(`/webhooks/sentry/legacy/${SECRETS.sentryLegacyToken}x`), legacy, { 'content-type': 'application/json' });
    const gl = readFileSync('/work/shared/fixtures/gitlab/pipeline-failed.json', 'utf8');
    await post(u('/webhooks/gitlab'), gl, gitlabSigned(gl));
    await post(u('/webhooks/gitlab'), gl, { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': SECRETS.gitlabWebhookSecret });
    await post(u('/webhooks/gitlab'), gl, { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': SECRETS.gitlabWebhookSecret + 'x' });
    // Chat in over DingTalk HTTP mode and WeCom; the replies go to a dead API base and fail (error logs).
    const dt = JSON.parse(readFileSync('/work/shared/fixtures/dingtalk/dingtalk-robot-message.json', 'utf8')) as Record<string, unknown>;
    for (const [i, text] of ['/status demo', '/whoami', '/help', '/sentry', '/gitlab pipelines demo'].entries()) {
      const msg = JSON.stringify({ ...dt, msgId: `dt-secret-${i}`, text: { content: text } });
      await post(u('/webhooks/dingtalk'), msg, dingtalkHeaders());
    }
    await post(u('/webhooks/dingtalk'), JSON.stringify(dt), dingtalkHeaders(Date.now(), SECRETS.dingtalkClientSecret + 'x'));
    const w = wecomSealed(appTextPlain('wc-secret-1', '/status demo'), { token: SECRETS.wecomToken, aesKey: SECRETS.wecomAesKey, receiveId: CORP_ID });
    await post(u(`/webhooks/wecom?${w.query}`), appXml(w.encrypted), { 'content-type': 'text/xml' });
    const g = wecomSealed('echo', { token: SECRETS.wecomToken, aesKey: SECRETS.wecomAesKey, receiveId: CORP_ID });
    await fetch(u(`/webhooks/wecom?${g.query}&echostr=${encodeURIComponent(g.encrypted)}`));
    // A few hundred malformed requests (error paths log reasons).
    const next = fuzzer(7);
    for (let i = 0; i < 300; i++) {
      const c = next(i);
      if (c.body && c.body.length > 1024 * 1024) continue;
      await fetch(u(c.path), { method: c.method, headers: c.headers, ...(c.body ? { body: c.body } : {}) }).then((r) => r.arrayBuffer()).catch(() => undefined);
    }
    // Console commands (the console speaks as a local admin).
    for (const cmd of ['/help', '/status demo', '/whoami', '/sentry', '/gitlab pipelines demo', '/releases demo', '/tasks', '/deploy demo v1.0.0 env-1', '/nonsense --token ' + 'x']) {
      bot.proc.stdin!.write(cmd + '\n');
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 2500));
    bot.proc.stdin!.end();
    await stopChild(bot, 'SIGTERM');

    const out = bot.stdout();
    const err = bot.stderr();
    // The run really produced chat output and logs (so the grep below means something).
    expect(out).toMatch(/\/help|demo/);
    expect(err.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(50);
    expect(err).toContain('webhook rejected');
    const leaks = needles()
      .flatMap(([name, v]) => [out.includes(v) ? `${name} in stdout` : '', err.includes(v) ? `${name} in stderr` : ''])
      .filter(Boolean);
    expect(leaks).toEqual([]);
  });
});
