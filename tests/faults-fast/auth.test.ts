/**
 * Forged, stale, replayed and unsigned deliveries for every source (contract.md "Webhook answers"):
 * 401 with `{"error": reason}`, nothing stored, nothing handed to the bot. One real bot in-process
 * (createOpsbot, lowdb in a temp dir, every source and HTTP-mode platform configured).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventAlertBody, eventId, sentryHeaders } from '../../bench/lib/sentry.ts';
import { allSourcesYaml, appTextPlain, appXml, CORP_ID, dingtalkHeaders, gitlabSigned, post, readDeliveries, SECRETS, startInProcess, wecomSealed, type InProcessBot } from '../faults/helpers.ts';

let bot: InProcessBot;
let handled = 0;
const GL_BODY = readFileSync('/work/shared/fixtures/gitlab/pipeline-failed.json', 'utf8');
const DT_BODY = readFileSync('/work/shared/fixtures/dingtalk/dingtalk-robot-message.json', 'utf8');
const LEGACY_BODY = readFileSync('/work/shared/fixtures/sentry/sentry-legacy-webhook-plugin.json', 'utf8');
const app = { token: SECRETS.wecomToken, aesKey: SECRETS.wecomAesKey, receiveId: CORP_ID };
const aibot = { token: SECRETS.aibotToken, aesKey: SECRETS.aibotAesKey, receiveId: '' };
const aibotPlain = JSON.stringify({ msgid: 'ab1', aibotid: 'aibot1', chattype: 'single', from: { userid: 'alice' }, msgtype: 'text', text: { content: '/help' } });

beforeAll(async () => {
  bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir, maxSkewSeconds: 300 }));
  const orig = bot.opsbot.bot.handleMessage.bind(bot.opsbot.bot);
  bot.opsbot.bot.handleMessage = (async (msg: Parameters<typeof orig>[0]) => {
    handled++;
    return orig(msg);
  }) as typeof orig;
});
afterAll(async () => {
  await bot?.stop();
});

const HOUR = 3600_000;
type Case = [name: string, send: () => Promise<{ status: number; text: string }>];

function cases(): Case[] {
  const u = (p: string) => `${bot.url}${p}`;
  const sBody = eventAlertBody(eventId('de', 1));
  const good = sentryHeaders(sBody, SECRETS.sentryClientSecret);
  const wrongKey = sentryHeaders(sBody, 'not-the-secret');
  const { 'sentry-hook-signature': _sig, ...unsigned } = good;
  const glGood = gitlabSigned(GL_BODY);
  const wc = (plain: string, o: Partial<Parameters<typeof wecomSealed>[1]> = {}) => wecomSealed(plain, { ...app, ...o });
  const ab = (plain: string, o: Partial<Parameters<typeof wecomSealed>[1]> = {}) => wecomSealed(plain, { ...aibot, ...o });
  const get = async (p: string) => {
    const r = await fetch(u(p));
    return { status: r.status, text: await r.text() };
  };
  return [
    // Sentry integration platform (HMAC over the raw body, sentry.md 1.3)
    ['sentry forged (wrong key)', () => post(u('/webhooks/sentry'), sBody, wrongKey)],
    ['sentry tampered body, original signature', () => post(u('/webhooks/sentry'), sBody.replace('heck', 'hack'), good)],
    ['sentry unsigned', () => post(u('/webhooks/sentry'), sBody, unsigned)],
    ['sentry uppercase-hex signature', () => post(u('/webhooks/sentry'), sBody, { ...good, 'sentry-hook-signature': good['sentry-hook-signature']!.toUpperCase() })],
    ['sentry stale (replayed 1 h later, signed)', () => post(u('/webhooks/sentry'), sBody, sentryHeaders(sBody, SECRETS.sentryClientSecret, Date.now() - HOUR))],
    ['sentry replayed fixture (2023 timestamp)', () => post(u('/webhooks/sentry'), sBody, { ...good, 'sentry-hook-timestamp': '1700000000' })],
    // Sentry legacy plugin (token in the path, sentry.md 2.3)
    ['sentry legacy wrong token', () => post(u('/webhooks/sentry/legacy/not-the-token'), LEGACY_BODY, { 'content-type': 'application/json' })],
    ['sentry legacy token prefix', () => post(u(`/webhooks/sentry/legacy/${SECRETS.sentryLegacyToken.slice(0, -1)}`), LEGACY_BODY, { 'content-type': 'application/json' })],
    // GitLab (X-Gitlab-Token, Standard Webhooks signing token; gitlab.md 1.2)
    ['gitlab wrong token', () => post(u('/webhooks/gitlab'), GL_BODY, { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': 'wrong' })],
    ['gitlab unsigned (no token)', () => post(u('/webhooks/gitlab'), GL_BODY, { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook' })],
    ['gitlab forged signature', () => post(u('/webhooks/gitlab'), GL_BODY, gitlabSigned(GL_BODY, { token: 'whsec_' + Buffer.from('other-key-0123456789').toString('base64') }))],
    ['gitlab tampered body, original signature', () => post(u('/webhooks/gitlab'), GL_BODY.replace('failed', 'success'), glGood)],
    ['gitlab stale signature (1 h)', () => post(u('/webhooks/gitlab'), GL_BODY, gitlabSigned(GL_BODY, { ts: Math.floor((Date.now() - HOUR) / 1000) }))],
    ['gitlab bad signature + right token (no fallback)', () => post(u('/webhooks/gitlab'), GL_BODY, { ...gitlabSigned(GL_BODY, { token: 'whsec_' + Buffer.from('zzz-other-key').toString('base64') }), 'x-gitlab-token': SECRETS.gitlabWebhookSecret })],
    // DingTalk HTTP mode (timestamp + sign, chat-platforms.md §3)
    ['dingtalk forged sign', () => post(u('/webhooks/dingtalk'), DT_BODY, dingtalkHeaders(Date.now(), 'wrong-secret'))],
    ['dingtalk stale (replayed 2 h later)', () => post(u('/webhooks/dingtalk'), DT_BODY, dingtalkHeaders(Date.now() - 2 * HOUR))],
    ['dingtalk unsigned', () => post(u('/webhooks/dingtalk'), DT_BODY, { 'content-type': 'application/json' })],
    ['dingtalk sign of another timestamp', () => post(u('/webhooks/dingtalk'), DT_BODY, { ...dingtalkHeaders(), timestamp: String(Date.now() - 1000) })],
    // WeCom app GET verification / POST (msg_signature over token+timestamp+nonce+ciphertext, §5)
    ['wecom GET forged', () => { const s = wc('12345', { signToken: 'wrong' }); return get(`/webhooks/wecom?${s.query}&echostr=${encodeURIComponent(s.encrypted)}`); }],
    ['wecom GET unsigned', () => { const s = wc('12345'); return get(`/webhooks/wecom?echostr=${encodeURIComponent(s.encrypted)}`); }],
    ['wecom GET wrong receiveid (other corp)', () => { const s = wc('12345', { receiveId: 'wwother' }); return get(`/webhooks/wecom?${s.query}&echostr=${encodeURIComponent(s.encrypted)}`); }],
    ['wecom POST forged', () => { const s = wc(appTextPlain('m1', '/help'), { signToken: 'wrong' }); return post(u(`/webhooks/wecom?${s.query}`), appXml(s.encrypted), { 'content-type': 'text/xml' }); }],
    ['wecom POST unsigned', () => { const s = wc(appTextPlain('m2', '/help')); return post(u('/webhooks/wecom'), appXml(s.encrypted), { 'content-type': 'text/xml' }); }],
    ['wecom POST replayed ciphertext, other nonce', () => { const s = wc(appTextPlain('m3', '/help')); return post(u(`/webhooks/wecom?${s.query.replace(/nonce=[^&]+/, 'nonce=other')}`), appXml(s.encrypted), { 'content-type': 'text/xml' }); }],
    ['wecom POST wrong AES key', () => { const s = wc(appTextPlain('m4', '/help'), { aesKey: SECRETS.aibotAesKey }); return post(u(`/webhooks/wecom?${s.query}`), appXml(s.encrypted), { 'content-type': 'text/xml' }); }],
    // WeCom 智能机器人 API mode (JSON {encrypt}, receiveid "")
    ['wecom aibot POST forged', () => { const s = ab(aibotPlain, { signToken: 'wrong' }); return post(u(`/webhooks/wecom/aibot?${s.query}`), JSON.stringify({ encrypt: s.encrypted }), { 'content-type': 'application/json' }); }],
    ['wecom aibot POST unsigned', () => { const s = ab(aibotPlain); return post(u('/webhooks/wecom/aibot'), JSON.stringify({ encrypt: s.encrypted }), { 'content-type': 'application/json' }); }],
    ['wecom aibot GET forged', () => { const s = ab('999', { signToken: 'wrong' }); return get(`/webhooks/wecom/aibot?${s.query}&echostr=${encodeURIComponent(s.encrypted)}`); }],
  ];
}

describe('every source refuses unauthenticated deliveries', () => {
  it('401 + {"error"} for each forged/stale/replayed/unsigned case, nothing stored, nothing handled', async () => {
    const results: string[] = [];
    for (const [name, send] of cases()) {
      const r = await send();
      let error: unknown;
      try {
        error = (JSON.parse(r.text) as { error?: unknown }).error;
      } catch {
        error = undefined;
      }
      results.push(`${name}: ${r.status} ${typeof error === 'string' && error.length > 0 ? 'error' : `BODY ${r.text.slice(0, 80)}`}`);
    }
    expect(results).toEqual(cases().map(([name]) => `${name}: 401 error`));
    await bot.opsbot.deliveries.idle();
    await bot.opsbot.bot.idle();
    expect(await bot.opsbot.deliveries.collection.count()).toBe(0);
    expect(handled).toBe(0);
    expect(bot.adapter.sent).toHaveLength(0);
    await bot.stop();
    expect(await readDeliveries(bot.dataDir)).toHaveLength(0);
    // No data file holds anything from the rejected traffic (no chat message recorded either).
    for (const f of readdirSync(bot.dataDir).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(path.join(bot.dataDir, f), 'utf8');
      expect(text, f).not.toMatch(/heck is not defined|\/help|msg0xxxxx/);
    }
  });

  it('control: the same requests correctly signed are accepted (the 401s are not an artefact)', async () => {
    const b = await startInProcess((dataDir) => allSourcesYaml({ dataDir }));
    try {
      const sBody = eventAlertBody(eventId('dd', 1));
      expect((await post(`${b.url}/webhooks/sentry`, sBody, sentryHeaders(sBody, SECRETS.sentryClientSecret))).status).toBe(200);
      expect((await post(`${b.url}/webhooks/sentry/legacy/${SECRETS.sentryLegacyToken}`, LEGACY_BODY, { 'content-type': 'application/json' })).status).toBe(200);
      expect((await post(`${b.url}/webhooks/gitlab`, GL_BODY, gitlabSigned(GL_BODY))).status).toBe(200);
      expect((await post(`${b.url}/webhooks/gitlab`, GL_BODY, { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': SECRETS.gitlabWebhookSecret })).status).toBe(200);
      expect((await post(`${b.url}/webhooks/dingtalk`, DT_BODY, dingtalkHeaders())).status).toBe(200);
      const g = wecomSealed('echo-42', app);
      const gr = await fetch(`${b.url}/webhooks/wecom?${g.query}&echostr=${encodeURIComponent(g.encrypted)}`);
      expect([gr.status, await gr.text()]).toEqual([200, 'echo-42']);
      const p = wecomSealed(appTextPlain('ok1', '/help'), app);
      expect((await post(`${b.url}/webhooks/wecom?${p.query}`, appXml(p.encrypted), { 'content-type': 'text/xml' })).status).toBe(200);
      const a = wecomSealed(aibotPlain, aibot);
      expect((await post(`${b.url}/webhooks/wecom/aibot?${a.query}`, JSON.stringify({ encrypt: a.encrypted }), { 'content-type': 'application/json' })).status).toBe(200);
      await b.opsbot.deliveries.idle();
      expect(await b.opsbot.deliveries.collection.count()).toBeGreaterThanOrEqual(3);
    } finally {
      await b.stop();
    }
  });
});
