// Item 4 of the hardening issue: nothing that arrives before authentication may reach an error path.
// Every hostile body below must be answered 4xx (or 200 where the platform says "ignored"), never 5xx,
// and the aborted-upload case must not be logged as an error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { encrypt } from '@wecom/crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest, WebhookRoute } from '../../src/adapters/types.ts';
import { wecomSignature } from '../../src/adapters/wecom/crypto.ts';
import { parseFlatXml } from '../../src/adapters/wecom/xml.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { createApp, listen } from '../../src/server/server.ts';
import { allSourcesYaml, appXml, CORP_ID, dingtalkHeaders, SECRETS, startInProcess, type InProcessBot } from '../faults/helpers.ts';

let bot: InProcessBot;
beforeAll(async () => {
  bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }));
});
afterAll(async () => {
  await bot.stop();
});

/** A query string whose msg_signature is right for `encrypted` (so the body reaches decrypt/parse). */
function signedQuery(token: string, encrypted: string): string {
  const ts = String(Math.floor(Date.now() / 1000));
  return `msg_signature=${wecomSignature(token, ts, 'n1', encrypted)}&timestamp=${ts}&nonce=n1`;
}
const app = (plain: string) => encrypt(SECRETS.wecomAesKey, plain, CORP_ID);
const aibot = (plain: string) => encrypt(SECRETS.aibotAesKey, plain, '');
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const XML = { 'content-type': 'text/xml' };
const JSON_CT = { 'content-type': 'application/json' };
const latin1 = Buffer.from([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0xfe, 0xc3, 0x28, 0x3c, 0x2f, 0x78, 0x6d, 0x6c, 0x3e]);

interface Case {
  name: string;
  method?: 'GET' | 'POST';
  path: string | (() => string);
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: string | Buffer | (() => string | Buffer);
}

const truncated = app('<xml><MsgType>text</MsgType></xml>').slice(0, 30);
const cases: Case[] = [
  // WeCom app callback, unsigned or signed over hostile <Encrypt> values.
  { name: 'wecom: invalid char ref &#x110000;', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: '<xml><Encrypt>&#x110000;</Encrypt></xml>' },
  { name: 'wecom: huge decimal char ref', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: `<xml><Encrypt>&#${'9'.repeat(400)};</Encrypt></xml>` },
  { name: 'wecom: surrogate char ref', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: '<xml><Encrypt>&#xD800;</Encrypt></xml>' },
  { name: 'wecom: NUL char ref', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: '<xml><Encrypt>&#0;</Encrypt></xml>' },
  { name: 'wecom: non-UTF-8 bytes', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: latin1 },
  { name: 'wecom: unclosed element', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1', headers: XML, body: '<xml><Encrypt><![CDATA[abc</Encrypt>' },
  { name: 'wecom: signed invalid base64', path: () => `/webhooks/wecom?${signedQuery(SECRETS.wecomToken, '!!!not*base64!!!')}`, headers: XML, body: appXml('!!!not*base64!!!') },
  { name: 'wecom: signed wrong padding', path: () => `/webhooks/wecom?${signedQuery(SECRETS.wecomToken, 'QUJD=')}`, headers: XML, body: appXml('QUJD=') },
  { name: 'wecom: signed truncated ciphertext', path: () => `/webhooks/wecom?${signedQuery(SECRETS.wecomToken, truncated)}`, headers: XML, body: appXml(truncated) },
  ...['<xml><Content>&#x110000;</Content></xml>', 'not xml at all', '<xml><FromUserName>a</FromUserName><MsgType>text</MsgType></xml>', '\udc00\ud800'].map((plain, i): Case => {
    const enc = app(plain);
    return { name: `wecom: signed, decrypts to hostile plaintext #${i}`, path: () => `/webhooks/wecom?${signedQuery(SECRETS.wecomToken, enc)}`, headers: XML, body: appXml(enc) };
  }),
  { name: 'wecom GET: garbage echostr', method: 'GET', path: '/webhooks/wecom?msg_signature=x&timestamp=1&nonce=1&echostr=%FF%FE' },
  { name: 'wecom GET: signed invalid base64 echostr', method: 'GET', path: () => `/webhooks/wecom?${signedQuery(SECRETS.wecomToken, '@@@')}&echostr=%40%40%40` },
  // WeCom 智能机器人 (JSON envelope).
  { name: 'aibot: deeply nested JSON', path: '/webhooks/wecom/aibot?msg_signature=x&timestamp=1&nonce=1', headers: JSON_CT, body: deep(100_000) },
  { name: 'aibot: huge numbers', path: '/webhooks/wecom/aibot?msg_signature=x&timestamp=1&nonce=1', headers: JSON_CT, body: '{"encrypt":1e999999}' },
  { name: 'aibot: non-UTF-8', path: '/webhooks/wecom/aibot?msg_signature=x&timestamp=1&nonce=1', headers: JSON_CT, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) },
  { name: 'aibot: signed invalid base64', path: () => `/webhooks/wecom/aibot?${signedQuery(SECRETS.aibotToken, '%%%')}`, headers: JSON_CT, body: '{"encrypt":"%%%"}' },
  ...[deep(50_000), '{"msgtype":"text","msgid":1e400}', 'null', '{"msgtype":"text","from":{"userid":"\\ud800"},"msgid":"1","text":{"content":[]}}'].map((plain, i): Case => {
    const enc = aibot(plain);
    return { name: `aibot: signed, decrypts to hostile JSON #${i}`, path: () => `/webhooks/wecom/aibot?${signedQuery(SECRETS.aibotToken, enc)}`, headers: JSON_CT, body: JSON.stringify({ encrypt: enc }) };
  }),
  // DingTalk HTTP mode (verified by headers, so signed cases reach the parser).
  { name: 'dingtalk: unsigned garbage', path: '/webhooks/dingtalk', headers: JSON_CT, body: '{{{' },
  { name: 'dingtalk: huge timestamp header', path: '/webhooks/dingtalk', headers: { ...JSON_CT, timestamp: '9'.repeat(400), sign: 'x' }, body: '{}' },
  { name: 'dingtalk: signed deep nesting', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: deep(100_000) },
  { name: 'dingtalk: signed deep object', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000) },
  { name: 'dingtalk: signed non-UTF-8', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
  { name: 'dingtalk: signed huge numbers', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: '{"msgId":"1","conversationId":"c","conversationType":"2","senderStaffId":"s","createAt":1e400,"sessionWebhookExpiredTime":-1e400}' },
  { name: 'dingtalk: signed card callback, content not JSON', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: '{"outTrackId":"t","userId":"u","content":"{\\"cardPrivateData\\":"}' },
  { name: 'dingtalk: signed card callback, deep content', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: JSON.stringify({ outTrackId: 't', userId: 'u', content: deep(50_000) }) },
  { name: 'dingtalk: signed lone surrogates', path: '/webhooks/dingtalk', headers: () => dingtalkHeaders(), body: '{"msgId":"\\ud800","conversationId":"\\udfff","conversationType":"2","senderStaffId":"s","text":{"content":"\\ud800"}}' },
  // Sentry and GitLab sources: unauthenticated bodies with odd headers and paths.
  { name: 'sentry: non-hex signature, deep body', path: '/webhooks/sentry', headers: { ...JSON_CT, 'sentry-hook-resource': 'issue', 'sentry-hook-signature': 'zz'.repeat(32) }, body: deep(100_000) },
  { name: 'sentry legacy: malformed percent-encoding in the token', path: '/webhooks/sentry/legacy/%E0%A4%A', headers: JSON_CT, body: '{}' },
  { name: 'gitlab: wrong token, non-UTF-8 body', path: '/webhooks/gitlab', headers: { ...JSON_CT, 'x-gitlab-token': 'nope', 'x-gitlab-event': 'Pipeline Hook' }, body: Buffer.from([0xff, 0xfe, 0xfd]) },
  { name: 'gitlab: garbage signature header', path: '/webhooks/gitlab', headers: { ...JSON_CT, 'x-gitlab-event': 'Pipeline Hook', 'webhook-id': 'x', 'webhook-timestamp': '1e999', 'webhook-signature': 'v1,@@@' }, body: '{}' },
];

describe('hostile input never causes a 5xx', () => {
  it.each(cases)('$name', async (c) => {
    const path = typeof c.path === 'function' ? c.path() : c.path;
    const headers = typeof c.headers === 'function' ? c.headers() : (c.headers ?? {});
    const body = typeof c.body === 'function' ? c.body() : c.body;
    const r = await fetch(bot.url + path, { method: c.method ?? 'POST', headers, ...(body !== undefined && (c.method ?? 'POST') === 'POST' ? { body } : {}) });
    await r.text();
    expect(r.status, `${c.name}: ${r.status}`).toBeLessThan(500);
  });
});

describe('parseFlatXml on illegal character references', () => {
  it.each(['&#x110000;', '&#xD800;', '&#0;', `&#${'1'.repeat(50)};`])('%s → null, not an exception', (ref) => {
    expect(parseFlatXml(`<xml><A>${ref}</A></xml>`)).toBeNull();
  });
  it('legal references still decode', () => {
    expect(parseFlatXml('<xml><A>&#x1F600;&#65;&amp;</A></xml>')).toEqual({ A: '😀A&' });
  });
});

describe('a client that aborts mid-body', () => {
  it('is logged at debug, never as an error', async () => {
    const records: { level: number; msg: string }[] = [];
    const dest = new Writable({
      write(chunk, _e, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) records.push(JSON.parse(line) as { level: number; msg: string });
        cb();
      },
    });
    let reached = false;
    const route: WebhookRoute = { method: 'POST', path: '/webhooks/slow', handle: async (_r: RawRequest) => ((reached = true), { status: 200 }) };
    const server = await listen(createApp({ log: pino({ level: 'debug' }, dest), metrics: createMetrics(), routes: [route], bodyLimitBytes: 1 << 20, state: () => 'ready' }), 0, '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/webhooks/slow', headers: { 'content-length': '100000', 'content-type': 'application/json' } });
      req.on('error', () => resolve());
      req.write('{"partial":');
      setTimeout(() => req.destroy(), 50);
    });
    const until = Date.now() + 2000;
    while (!records.some((r) => /abort/i.test(r.msg)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    server.close();
    expect(reached).toBe(false);
    expect(records.filter((r) => r.level >= 40)).toEqual([]);
    expect(records.some((r) => r.level === 20 && /abort/i.test(r.msg))).toBe(true);
  });
});
