/**
 * Hardening item 6 (WeCom): every renderer cuts to its platform limit on a character boundary and says
 * so — group-robot markdown ≤ 4096 B and text ≤ 2048 B (chat-platforms.md §7.2), app markdown ≤ 2048 B,
 * template-card titles in WeCom's recommended 字 lengths (render-card.ts LIMITS).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { actions, commandButton, code, markdown, type Card } from '../../../cards/model.ts';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import { LIMITS, renderMarkdown, renderTemplateCard, renderText } from '../../../src/adapters/wecom/render-card.ts';
import { WecomState } from '../../../src/adapters/wecom/state.ts';
import { validUtf8 } from '../utf8.ts';
import { fakeApi, setA, silentLog } from './helpers.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const TITLES: Array<[string, string]> = [
  ['16 000 Chinese characters', '数据库连接超时'.repeat(2286).slice(0, 16000)],
  ['16 000 ASCII characters', 'TimeoutError: '.repeat(1143).slice(0, 16000)],
];

const alert = (title: string): Card => ({
  title,
  tone: 'danger',
  blocks: [markdown('**error rate 12%**'), code('at handler (app.js:1)'), actions([commandButton('Ack', '/sentry ack 42', 'primary')])],
});

const marked = (s: string | undefined): boolean => !!s && (s.includes('已截断') || s.includes('truncated'));
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const width = (s: string): number => [...s].reduce((n, ch) => n + (ch.charCodeAt(0) < 0x80 ? 1 : 2), 0);

async function adapterWithApi() {
  let n = 0;
  const a = await fakeApi({
    '/cgi-bin/gettoken': () => ({ errcode: 0, errmsg: 'ok', access_token: `tok-${++n}`, expires_in: 7200 }),
  });
  closers.push(a.close);
  const config = wecomConfigSchema.parse({ corpId: 'ww1', agentId: 5, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey, apiBase: a.base });
  return { a, adapter: createWecomAdapter({ config, log: silentLog, onMessage: async () => {}, locale: 'zh-CN' }) };
}

describe.each(TITLES)('a title of %s', (_name, title) => {
  it('markdown: within 4096 B (group robot) and 2048 B (app), marked, valid UTF-8, commands kept', () => {
    for (const maxBytes of [LIMITS.markdownBytes, LIMITS.appMarkdownBytes]) {
      const md = renderMarkdown(alert(title), { maxBytes, tail: '<@zhangsan>' });
      expect(bytes(md)).toBeLessThanOrEqual(maxBytes);
      expect(marked(md)).toBe(true);
      expect(validUtf8(md)).toBe(true);
      expect(md).toContain('`/sentry ack 42`');
      expect(md.endsWith('\n<@zhangsan>')).toBe(true);
    }
  });

  it('text: within 2048 B, marked, valid UTF-8', () => {
    const t = renderText(alert(title), { locale: 'en' });
    expect(bytes(t)).toBeLessThanOrEqual(LIMITS.textBytes);
    expect(t).toContain('… (truncated)');
    expect(validUtf8(t)).toBe(true);
  });

  it('template card: title within its 字 limit, the sub-title says the card was cut', async () => {
    const st = new WecomState();
    const tc = await renderTemplateCard(alert(title), { taskId: 't1', keyFor: (c, f) => st.keyFor(c, f), locale: 'zh-CN' });
    expect(width(tc.main_title.title)).toBeLessThanOrEqual(LIMITS.title);
    expect(validUtf8(tc.main_title.title)).toBe(true);
    expect(tc.sub_title_text?.endsWith('…（已截断）')).toBe(true);
    expect(width(tc.sub_title_text ?? '')).toBeLessThanOrEqual(LIMITS.subTitle);
    expect(tc.button_list).toHaveLength(1);
  });

  it('sent: group-robot text/markdown and app markdown arrive within limits, mentions intact', async () => {
    const { a, adapter } = await adapterWithApi();
    await adapter.send({ to: 'wecom-webhook:K', reply: { kind: 'text', text: title }, mentions: ['zhangsan'] });
    await adapter.send({ to: 'wecom-webhook:K', reply: { kind: 'card', card: { ...alert(title), blocks: [markdown('body')] } }, mentions: ['lisi'] });
    await adapter.send({ to: 'wecom:u1', reply: { kind: 'card', card: { title, blocks: [markdown('body')] } } });
    const [txt, md] = a.calls.filter((c) => c.path === '/cgi-bin/webhook/send');
    expect(bytes(txt!.body.text.content)).toBeLessThanOrEqual(LIMITS.textBytes);
    expect(txt!.body.text.content.endsWith('…（已截断）')).toBe(true);
    expect(txt!.body.text.mentioned_list).toEqual(['zhangsan']);
    expect(bytes(md!.body.markdown.content)).toBeLessThanOrEqual(LIMITS.markdownBytes);
    expect(marked(md!.body.markdown.content)).toBe(true);
    expect(md!.body.markdown.content.endsWith('<@lisi>')).toBe(true);
    const app = a.calls.find((c) => c.path === '/cgi-bin/message/send')!;
    expect(app.body.msgtype).toBe('markdown');
    expect(bytes(app.body.markdown.content)).toBeLessThanOrEqual(LIMITS.appMarkdownBytes);
    expect(marked(app.body.markdown.content)).toBe(true);
  });
});

describe('WeCom renderers leave text within the limits unchanged', () => {
  it('no marker on a short card', async () => {
    const card: Card = { title: 'Deploy ok', blocks: [markdown('done')] };
    expect(marked(renderMarkdown(card))).toBe(false);
    const st = new WecomState();
    const tc = await renderTemplateCard({ ...card, blocks: [markdown('done'), actions([commandButton('Again', '/deploy demo v1 env-1')])] }, { taskId: 't', keyFor: (c) => st.keyFor(c) });
    expect(tc.sub_title_text).toBe('done');
  });
});
