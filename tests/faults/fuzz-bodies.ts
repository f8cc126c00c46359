/**
 * Malformed request generator for the fuzz fault test: seeded, so a failure names a reproducible case.
 * Bodies: random bytes, truncated/mistyped JSON, deep nesting, XML (broken, entity bombs, CDATA games),
 * odd encodings (UTF-16, latin1, invalid UTF-8, NUL, lone surrogates), sizes around the 1 MiB limit;
 * content types right, wrong and missing; signed correctly (to reach the parsers) or not.
 */
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { appXml, CORP_ID, dingtalkHeaders, SECRETS, wecomSealed } from './helpers.ts';

export interface FuzzCase { name: string; method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: Buffer }

/** mulberry32 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fx = (p: string) => readFileSync(`/work/shared/fixtures/${p}`, 'utf8');
const JSON_SEEDS = [fx('sentry/sentry-event-alert-triggered.json'), fx('sentry/sentry-issue-created.json'), fx('sentry/sentry-legacy-webhook-plugin.json'), fx('gitlab/pipeline-failed.json'), fx('gitlab/push.json'), fx('dingtalk/dingtalk-robot-message.json'), fx('dingtalk/dingtalk-card-callback.json')];
const MIB = 1024 * 1024;

export function fuzzer(seed: number) {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  const mutateJson = (s: string): string => {
    switch (int(12)) {
      case 0: return s.slice(0, int(s.length));
      case 1: return s.replace(/"[a-z_]+":/i, '"":');
      case 2: return s.replace(/\d+/g, () => pick(['1e309', '-0', '"x"', 'null', '[]', '{}', '9007199254740993']));
      case 3: return s.replace(/"[^"]*"/g, () => pick(['null', '1', '[]', '{}', '""', '"\\u0000"', '"\\ud800"', 'true']));
      case 4: return '['.repeat(5000 + int(20000)) + ']'.repeat(int(2) ? 5000 : 0);
      case 5: return '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
      case 6: return pick(['null', '[]', '123', '"str"', 'true', '{}', '{"action":5}', '{"action":"created","data":"x"}', '{"action":"triggered","data":{"event":null}}', '{"object_kind":7}', '{"msgtype":"text","text":null}', '{"text":{"content":{}}}']);
      case 7: return s + pick([',', '}', ']]', '\u0000', 'garbage']);
      case 8: return s.replace(/[aeiou]/g, () => pick(['\u0000', '\ud83d', '\uffff', 'é', '\u202e']));
      case 9: return JSON.stringify({ action: 'triggered', data: { event: { issue_id: 'x'.repeat(int(5000)), event_id: int(1e9) } }, extra: Array.from({ length: int(2000) }, (_, i) => i) });
      case 10: return s.replace(/"(\w+)":/g, '"__proto__":');
      default: return JSON.stringify(JSON.parse(s), null, int(2) ? 0 : 8).replace(/,/g, () => (int(20) ? ',' : ',,'));
    }
  };
  const xml = (): string => pick([
    '<xml><Encrypt><![CDATA[',
    '<xml></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;&c;&c;</Content><MsgType>text</MsgType></xml>',
    '<xml><ToUserName><![CDATA[x]]]]><![CDATA[>]]></ToUserName><MsgType><![CDATA[text]]></MsgType></xml>',
    '<xml>' + '<a>'.repeat(5000) + '</xml>',
    `<xml><FromUserName>alice</FromUserName><MsgType>text</MsgType><Content>/help</Content></xml>`,
    `<xml><FromUserName>alice</FromUserName><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>${'k'.repeat(int(300))}</EventKey></xml>`,
    '<xml><MsgType>text</MsgType><MsgId>1</MsgId><FromUserName></FromUserName></xml>',
    '\ufeff<xml><Encrypt>AAAA</Encrypt></xml>',
    'not xml at all',
    '<xml><Encrypt>' + 'A'.repeat(int(4000)) + '</Encrypt></xml>',
  ]);
  const encode = (s: string): Buffer => {
    switch (int(6)) {
      case 0: return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
      case 1: return Buffer.from(s, 'latin1');
      case 2: { const b = Buffer.from(s); if (b.length) b[int(b.length)] = pick([0xc0, 0xff, 0xed, 0x80]); return b; }
      case 3: return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]);
      default: return Buffer.from(s);
    }
  };
  const size = (): Buffer => pick([Buffer.alloc(0), Buffer.alloc(MIB, 0x7b), Buffer.alloc(MIB + 1, 0x20), Buffer.concat([Buffer.from('{"action":"x","pad":"'), Buffer.alloc(2 * MIB, 0x61), Buffer.from('"}')]), Buffer.alloc(MIB - 10, 0x5b)]);
  const contentType = (right: string): Record<string, string> => {
    const ct = pick([right, right, right, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16', 'text/xml; charset=gbk', 'application/octet-stream', '*/*', 'application/json\u0000']);
    return ct ? { 'content-type': ct.replaceAll('\u0000', '') } : {};
  };

  /** A body for a JSON endpoint. */
  const jsonBody = (): Buffer => {
    const k = int(20);
    if (k === 0) return size();
    if (k < 3) return bytes(int(3000));
    if (k < 5) return encode(xml());
    return encode(mutateJson(pick(JSON_SEEDS)));
  };

  const sentrySigned = (body: Buffer): Record<string, string> => ({
    'sentry-hook-resource': pick(['event_alert', 'issue', 'metric_alert', 'comment', 'installation', 'error', '', 'bogus', '../x']),
    'sentry-hook-timestamp': String(Math.floor(Date.now() / 1000)),
    'sentry-hook-signature': int(4) ? createHmac('sha256', SECRETS.sentryClientSecret).update(body).digest('hex') : pick(['', 'zz', '0'.repeat(64), 'A'.repeat(64)]),
  });

  return function next(i: number): FuzzCase {
    const target = i % 9;
    switch (target) {
      case 0: {
        const body = jsonBody();
        return { name: `${i} sentry`, method: 'POST', path: '/webhooks/sentry', headers: { ...contentType('application/json'), ...sentrySigned(body) }, body };
      }
      case 1: {
        const body = jsonBody();
        const tok = int(4) ? SECRETS.sentryLegacyToken : pick(['x', '%00', '..%2F..', 'a'.repeat(3000)]);
        return { name: `${i} sentry legacy`, method: 'POST', path: `/webhooks/sentry/legacy/${tok}`, headers: contentType('application/json'), body };
      }
      case 2: {
        const body = jsonBody();
        const auth = int(4) ? { 'x-gitlab-token': SECRETS.gitlabWebhookSecret } : pick<Record<string, string>>([{}, { 'x-gitlab-token': '' }, { 'webhook-signature': 'v1,xx', 'webhook-id': 'a', 'webhook-timestamp': 'now' }]);
        return { name: `${i} gitlab`, method: 'POST', path: '/webhooks/gitlab', headers: { ...contentType('application/json'), 'x-gitlab-event': pick(['Pipeline Hook', 'Push Hook', 'Job Hook', 'Tag Push Hook', 'Nope', '']), ...auth }, body };
      }
      case 3: {
        const body = jsonBody();
        const auth = int(4) ? dingtalkHeaders() : pick<Record<string, string>>([{}, { timestamp: 'abc', sign: 'x' }, { timestamp: '9'.repeat(20), sign: '' }]);
        return { name: `${i} dingtalk`, method: 'POST', path: '/webhooks/dingtalk', headers: { ...contentType('application/json'), ...auth }, body };
      }
      case 4: case 5: {
        // WeCom app POST: either a correctly sealed and signed fuzz plaintext, or a fuzz envelope.
        const keys = { token: SECRETS.wecomToken, aesKey: SECRETS.wecomAesKey, receiveId: CORP_ID };
        if (int(2)) {
          const s = wecomSealed(int(3) ? xml() : mutateJson(pick(JSON_SEEDS)).slice(0, 5000), keys);
          return { name: `${i} wecom sealed`, method: 'POST', path: `/webhooks/wecom?${s.query}`, headers: contentType('text/xml'), body: Buffer.from(appXml(s.encrypted)) };
        }
        const s = wecomSealed('x', keys);
        return { name: `${i} wecom envelope`, method: 'POST', path: `/webhooks/wecom?${int(2) ? s.query : 'msg_signature=&nonce=%ZZ'}`, headers: contentType('text/xml'), body: int(3) ? encode(xml()) : jsonBody() };
      }
      case 6: {
        const keys = { token: SECRETS.wecomToken, aesKey: SECRETS.wecomAesKey, receiveId: CORP_ID };
        const s = wecomSealed(pick(['', 'x', '\u0000', 'é'.repeat(int(500))]), keys);
        const echostr = int(2) ? encodeURIComponent(s.encrypted) : pick(['', '%E0%A4%A', 'AAAA', '====', encodeURIComponent('A'.repeat(int(3000)))]);
        return { name: `${i} wecom GET`, method: 'GET', path: `/webhooks/wecom?${s.query}&echostr=${echostr}`, headers: {} };
      }
      case 7: {
        const keys = { token: SECRETS.aibotToken, aesKey: SECRETS.aibotAesKey, receiveId: '' };
        if (int(2)) {
          const s = wecomSealed(mutateJson(JSON.stringify({ msgid: `f${i}`, aibotid: 'aibot1', chattype: pick(['single', 'group', '']), chatid: 'c', from: { userid: 'alice' }, msgtype: pick(['text', 'stream', 'event', 'mixed']), text: { content: '/help' } })).slice(0, 5000), keys);
          return { name: `${i} aibot sealed`, method: 'POST', path: `/webhooks/wecom/aibot?${s.query}`, headers: contentType('application/json'), body: Buffer.from(JSON.stringify({ encrypt: s.encrypted })) };
        }
        const s = wecomSealed('x', keys);
        return { name: `${i} aibot envelope`, method: 'POST', path: `/webhooks/wecom/aibot?${s.query}`, headers: contentType('application/json'), body: jsonBody() };
      }
      default: {
        const keys = { token: SECRETS.aibotToken, aesKey: SECRETS.aibotAesKey, receiveId: '' };
        const s = wecomSealed(String(int(1e9)), keys);
        return { name: `${i} aibot GET`, method: 'GET', path: `/webhooks/wecom/aibot?${int(3) ? s.query : 'timestamp=1'}&echostr=${int(2) ? encodeURIComponent(s.encrypted) : '%%%'}`, headers: {} };
      }
    }
  };
}
