import { describe, expect, it } from 'vitest';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import { cdata, parseFlatXml } from '../../../src/adapters/wecom/xml.ts';
import { appMessageFromXml } from '../../../src/adapters/wecom/app-routes.ts';
import { aibotIncoming, parseAibotBody, stripMention } from '../../../src/adapters/wecom/aibot-message.ts';
import { LIMITS, renderMarkdown, renderTemplateCard, renderText, truncateBytes } from '../../../src/adapters/wecom/render-card.ts';
import { WecomState } from '../../../src/adapters/wecom/state.ts';
import { actions, commandButton, fields, linkButton, markdown, code } from '../../../cards/model.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fixture, fixtureJson, setA } from './helpers.ts';

const base = { corpId: 'ww1', agentId: 1000002, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey };

describe('wecomConfigSchema', () => {
  it('defaults apiBase and the aibot url; coerces agentId from env strings', () => {
    const c = wecomConfigSchema.parse({ ...base, agentId: '1000002', aibot: { mode: 'websocket', botId: 'b', secret: 'x' } });
    expect(c.apiBase).toBe('https://qyapi.weixin.qq.com');
    expect(c.agentId).toBe(1000002);
    expect(c.aibot?.url).toBe('wss://openws.work.weixin.qq.com');
  });
  it('rejects typos, short keys and incomplete aibot modes', () => {
    expect(wecomConfigSchema.safeParse({ ...base, corpid: 'x' }).success).toBe(false);
    expect(wecomConfigSchema.safeParse({ ...base, encodingAESKey: 'short' }).success).toBe(false);
    const http = wecomConfigSchema.safeParse({ ...base, aibot: { mode: 'http', botId: 'b' } });
    expect(http.success).toBe(false);
    expect(JSON.stringify(http.error?.issues.map((i) => i.path))).toContain('token');
    expect(wecomConfigSchema.safeParse({ ...base, aibot: { mode: 'websocket', botId: 'b' } }).success).toBe(false);
    expect(wecomConfigSchema.safeParse({ ...base, aibot: { mode: 'http', botId: 'b', token: 't', encodingAESKey: setA.encodingAESKey } }).success).toBe(true);
  });
});

describe('parseFlatXml', () => {
  it('parses the fixtures (CDATA, plain numbers, pretty-printed)', () => {
    expect(parseFlatXml(fixture('wecom-text-message.xml'))).toMatchObject({ FromUserName: 'mycreate', MsgType: 'text', Content: 'hello', MsgId: '4561255354251345929', AgentID: '218' });
    expect(parseFlatXml(fixture('wecom-template-card-event.xml'))).toMatchObject({ Event: 'template_card_event', EventKey: 'confirm', TaskId: 'deploy-demo-v1.1.0-env-1-0001', ResponseCode: 'RESPONSE_CODE_PLACEHOLDER', AgentID: '1000002' });
    expect(parseFlatXml(fixture('wecom-encrypted-post.xml'))?.Encrypt).toMatch(/^RypEvHKD/);
  });
  it('handles entities, CDATA with markup, nested elements, and rejects junk', () => {
    expect(parseFlatXml('<xml><A>a &amp; b &lt;c&gt;</A><B><![CDATA[<x>]]></B><C/></xml>')).toEqual({ A: 'a & b <c>', B: '<x>', C: '' });
    expect(parseFlatXml('<xml><S><I><K>1</K></I></S></xml>')?.S).toBe('<I><K>1</K></I>');
    for (const junk of ['', 'hello', '<xml><A>1</xml>', '<xml><A>1</B></xml>', '<xml><![CDATA[x</xml>', '<root/>']) expect(parseFlatXml(junk)).toBeNull();
    expect(parseFlatXml(`<xml><C>${cdata('a]]>b')}</C></xml>`)?.C).toBe('a]]>b');
  });
  it('stays linear on a hostile 1 MiB body', () => {
    const t0 = Date.now();
    expect(Object.keys(parseFlatXml(`<xml>${'<a/>'.repeat(250_000)}</xml>`) ?? {})).toEqual(['a']);
    expect(parseFlatXml(`<xml>${'<a>'.repeat(250_000)}</xml>`)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it('maps XML to IncomingMessage (text) and ignores other events', async () => {
    const st = new WecomState();
    const x = parseFlatXml(fixture('wecom-text-message.xml'))!;
    expect(await appMessageFromXml(x, st, 1)).toMatchObject({ id: '4561255354251345929', chat: 'wecom:mycreate', text: 'hello', receivedAt: 1 });
    expect(await appMessageFromXml({ FromUserName: 'u', MsgType: 'event', Event: 'enter_agent' }, st, 1)).toBeUndefined();
    await expect(appMessageFromXml({ MsgType: 'text' }, st, 1)).rejects.toThrow();
  });
});

describe('aibot bodies', () => {
  it('parse the doc fixtures', async () => {
    const st = new WecomState();
    const text = parseAibotBody(fixtureJson('wecom-aibot-text-message.json'))!;
    expect(await aibotIncoming(text, { via: 'aibot-http', at: 5 }, st)).toMatchObject({ chat: 'wecom-group:CHATID', text: 'hello robot', sender: { id: 'USERID' } });
    const ev = parseAibotBody(fixtureJson('wecom-aibot-template-card-event.json'))!;
    expect(ev.event?.template_card_event?.event_key).toBe('button_replace_text');
    expect(await aibotIncoming(ev, { via: 'aibot-http', at: 5 }, st)).toBeUndefined(); // not one of our keys
    expect(parseAibotBody({ msgtype: 'text' })).toBeUndefined();
    expect(stripMention('@RobotA  /status demo')).toBe('/status demo');
    expect(stripMention('/status demo')).toBe('/status demo');
  });
});

describe('render-card', () => {
  const st = new WecomState(new MemoryStore());
  const keyFor = (c: string, f?: boolean) => st.keyFor(c, f);
  it('respects the field/button limits and keeps overflow readable', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ label: `f${i}`, value: `v${i}` }));
    const card = {
      title: 'T'.repeat(80),
      tone: 'success' as const,
      blocks: [
        markdown('**bold** `cmd`'),
        fields([...many, { label: 'long', value: 'x'.repeat(100) }]),
        code('line1\nline2'),
        actions(Array.from({ length: 8 }, (_, i) => commandButton(`按钮按钮按钮按钮按钮按钮${i}`, `/cmd ${i}`))),
        actions([linkButton('a', 'https://a.invalid'), linkButton('b', 'https://b.invalid')]),
      ],
    };
    const tc = await renderTemplateCard(card, { taskId: 'task-1', keyFor });
    expect(tc.main_title.title.length).toBeLessThanOrEqual(LIMITS.title);
    expect(tc.horizontal_content_list).toHaveLength(LIMITS.fields);
    expect(tc.button_list).toHaveLength(LIMITS.buttons);
    expect(tc.button_list[0]!.text.endsWith('…')).toBe(true);
    expect(tc.sub_title_text).toContain('bold cmd');
    expect(tc.sub_title_text).toContain('f6: v6');
    expect(tc.sub_title_text).toContain('/cmd 7');
    expect(tc.quote_area?.quote_text).toBe('line1\nline2');
    expect(tc.card_action).toEqual({ type: 1, url: 'https://a.invalid' });
    expect(tc.source.desc_color).toBe(3);
    expect(await st.commandFor(tc.button_list[2]!.key)).toBe('/cmd 2');
  });
  it('markdown/text stay within the byte limits', () => {
    const big = { title: '大', blocks: [markdown('中'.repeat(5000))] };
    expect(Buffer.byteLength(renderMarkdown(big))).toBeLessThanOrEqual(LIMITS.markdownBytes);
    expect(Buffer.byteLength(renderText(big))).toBeLessThanOrEqual(LIMITS.textBytes);
    expect(truncateBytes('abc', 10)).toBe('abc');
  });
});
