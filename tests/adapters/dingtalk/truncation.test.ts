/**
 * Hardening item 6 (DingTalk): a Sentry alert with a 16 000-character title rendered to 16 710 bytes,
 * over msgParam's 15 000 bytes (chat-platforms.md §4.4), and nothing arrived. Every DingTalk renderer
 * now cuts to its limit and says so; commands and @mentions survive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { actions, commandButton, fields, linkButton, markdown, type Card } from '../../../cards/model.ts';
import { cardReply, text } from '../../../src/core/message.ts';
import { DingtalkClient } from '../../../src/adapters/dingtalk/client.ts';
import { parseRobotMessage } from '../../../src/adapters/dingtalk/parse.ts';
import { MAX_CARD_VALUE_BYTES, MAX_MSG_PARAM_BYTES, renderCardParams, renderMarkdown, renderText } from '../../../src/adapters/dingtalk/render-card.ts';
import { DingtalkSender } from '../../../src/adapters/dingtalk/send.ts';
import { validUtf8 } from '../utf8.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig } from './helpers.ts';

const NOW = 1_700_000_000_000;
let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const TITLES: Array<[string, string]> = [
  ['16 000 Chinese characters', '数据库连接超时'.repeat(2286).slice(0, 16000)],
  ['16 000 ASCII characters', 'TimeoutError: '.repeat(1143).slice(0, 16000)],
];

const alert = (title: string): Card => ({
  title,
  tone: 'danger',
  blocks: [
    markdown('**error rate 12%**'),
    fields([{ label: 'env', value: 'prod' }]),
    actions([commandButton('Ack', '/sentry ack 42', 'primary'), commandButton('Resolve', '/sentry resolve 42'), linkButton('Open', 'https://sentry.example.invalid/issues/42/')]),
  ],
});

const marked = (s: string): boolean => s.includes('已截断') || s.includes('truncated');
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe.each(TITLES)('a title of %s', (_name, title) => {
  it('markdown (sampleMarkdown / sessionWebhook) fits msgParam, is marked, keeps commands and mentions', () => {
    const md = renderMarkdown(alert(title), { mentions: ['zhangsan'] });
    expect(bytes(JSON.stringify(md))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
    expect(marked(md.text)).toBe(true);
    expect(validUtf8(md.text) && validUtf8(md.title)).toBe(true);
    expect(md.text).toContain('`/sentry ack 42`');
    expect(md.text.endsWith('@zhangsan')).toBe(true);
  });

  it('plain text (sampleText) fits msgParam, is marked, keeps the @mention', () => {
    const t = renderText(title, ['zhangsan'], { locale: 'en' });
    expect(bytes(JSON.stringify(t))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
    expect(t.content).toContain('… (truncated)');
    expect(t.content.endsWith('\n@zhangsan')).toBe(true);
    expect(validUtf8(t.content)).toBe(true);
  });

  it.each([false, true])('interactive card values stay within 1 KB each (custom template: %s)', (customTemplate) => {
    const p = renderCardParams(alert(title), { customTemplate, mentions: ['zhangsan'], locale: 'zh-CN' });
    for (const v of Object.values(p)) {
      expect(bytes(v)).toBeLessThanOrEqual(MAX_CARD_VALUE_BYTES);
      expect(validUtf8(v)).toBe(true);
    }
    const shownTitle = customTemplate ? p['title']! : p['msgTitle']!;
    expect(shownTitle).toContain('…（已截断）');
    expect(bytes(JSON.stringify(p))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
  });

  it('the sender delivers it: sessionWebhook body and OpenAPI msgParam within limits', async () => {
    fake = await startFakeDingtalk();
    const config = testConfig(fake.base, { mode: 'http' });
    const client = new DingtalkClient({ config, log: silentLog, clock: () => NOW, retryBaseMs: 1 });
    const sender = new DingtalkSender({ config, client, log: silentLog, clock: () => NOW, interactiveCards: false });
    const msg = parseRobotMessage({ ...fixture<Record<string, unknown>>('dingtalk-robot-message-chatops.json'), sessionWebhook: `${fake.base}/robot/sendBySession?session=s1`, sessionWebhookExpiredTime: NOW + 3_600_000 });
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: cardReply(alert(title)), mentions: ['zhangsan'] });
    await sender.send({ to: msg.chat, reply: cardReply(alert(title)) });
    await sender.send({ to: msg.chat, reply: text(title) });
    const hook = fake.callsTo('/robot/sendBySession')[0]!;
    expect(marked(JSON.stringify(hook.body))).toBe(true);
    expect(bytes(JSON.stringify((hook.body as { markdown: unknown }).markdown))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
    const sends = fake.callsTo('/v1.0/robot/groupMessages/send');
    expect(sends.map((s) => s.body['msgKey'])).toEqual(['sampleMarkdown', 'sampleText']);
    for (const s of sends) {
      const param = String(s.body['msgParam']);
      expect(bytes(param)).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
      expect(marked(param)).toBe(true);
    }
  });
});

describe('interactive card buttons', () => {
  it('buttons whose JSON would pass 1 KB move to the typed-command list, nothing is lost', () => {
    const long = Array.from({ length: 6 }, (_, i) => commandButton(`b${i}`, `/deploy demo v1.${i}.0 ${'env-'.repeat(20)}${i}`));
    const p = renderCardParams({ title: 't', blocks: [actions(long)] }, { customTemplate: false });
    const shown = (JSON.parse(p['sys_full_json_obj']!) as { msgButtons: unknown[] }).msgButtons.length;
    expect(bytes(p['sys_full_json_obj']!)).toBeLessThanOrEqual(MAX_CARD_VALUE_BYTES);
    expect(shown).toBeLessThan(6);
    expect(p['staticMsgContent']).toContain('b5: `/deploy demo v1.5.0');
  });
});
