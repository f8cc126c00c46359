import { describe, expect, it } from 'vitest';
import { actions, commandButton, fields, linkButton, markdown, type Card } from '../../../cards/model.ts';
import { decodeCommandId } from '../../../src/adapters/dingtalk/actions.ts';
import {
  DingtalkLimitError,
  MAX_MSG_PARAM_BYTES,
  needsInteractiveCard,
  PUBLIC_AI_CARD_TEMPLATE,
  renderCardParams,
  renderMarkdown,
  renderText,
} from '../../../src/adapters/dingtalk/render-card.ts';

const alert: Card = {
  title: '[P1] payment-api',
  tone: 'danger',
  blocks: [
    markdown('**error rate 12%**'),
    fields([{ label: 'env', value: 'prod' }]),
    actions([commandButton('Acknowledge', '/alert ack A42', 'primary'), commandButton('Rollback', '/rollback demo prod', 'danger'), linkButton('Open in Sentry', 'https://sentry.example.invalid/issues/42/')]),
  ],
};

describe('render-card', () => {
  it('renders the public AI-card params like the fixture (§4.8)', () => {
    expect(PUBLIC_AI_CARD_TEMPLATE).toBe('382e4302-551d-4880-bf29-a30acfab2e71.schema');
    const p = renderCardParams(alert, { customTemplate: false, mentions: ['zhangsan'] });
    expect(Object.keys(p).sort()).toEqual(['flowStatus', 'msgContent', 'msgTitle', 'staticMsgContent', 'sys_full_json_obj']);
    expect(p['flowStatus']).toBe('3');
    expect(p['msgTitle']).toBe('[P1] payment-api');
    expect(p['staticMsgContent']).toContain('**error rate 12%**');
    expect(p['staticMsgContent']).toContain('- **env**: prod');
    expect(p['staticMsgContent']).toContain('@zhangsan');
    expect(p['staticMsgContent']).not.toContain('/alert ack');
    const full = JSON.parse(p['sys_full_json_obj'] ?? '') as { order: string[]; msgButtons: Array<Record<string, unknown>> };
    expect(full.order).toEqual(['msgTitle', 'staticMsgContent', 'msgButtons']);
    expect(full.msgButtons).toHaveLength(3);
    expect(full.msgButtons[0]).toMatchObject({ text: 'Acknowledge', color: 'blue', request: true });
    expect(decodeCommandId(String(full.msgButtons[0]?.['id']))).toBe('/alert ack A42');
    expect(full.msgButtons[1]).toMatchObject({ color: 'red' });
    expect(full.msgButtons[2]).toMatchObject({ text: 'Open in Sentry', url: 'https://sentry.example.invalid/issues/42/' });
    expect(full.msgButtons[2]).not.toHaveProperty('request');
    for (const v of Object.values(p)) expect(typeof v).toBe('string');
  });

  it('renders our own template variables when a cardTemplateId is configured', () => {
    const p = renderCardParams(alert, { customTemplate: true });
    expect(Object.keys(p).sort()).toEqual(['buttons', 'markdown', 'title', 'tone']);
    expect(p['tone']).toBe('danger');
    expect(JSON.parse(p['buttons'] ?? '')).toHaveLength(3);
  });

  it('markdown fallback shows the commands to type, links and mentions', () => {
    const md = renderMarkdown(alert, { mentions: ['zhangsan'], locale: 'en' });
    expect(md.title).toBe('[P1] payment-api');
    expect(md.text).toContain('`/alert ack A42`');
    expect(md.text).toContain('[Open in Sentry](https://sentry.example.invalid/issues/42/)');
    expect(md.text).toContain('@mention the bot');
    expect(md.text.endsWith('@zhangsan')).toBe(true);
    expect(renderText('hi', ['a', 'b'])).toEqual({ content: 'hi\n@a @b' });
  });

  it('knows when a card needs to be interactive', () => {
    expect(needsInteractiveCard(alert)).toBe(true);
    expect(needsInteractiveCard({ title: 'x', blocks: [actions([linkButton('a', 'https://x.invalid')])] })).toBe(false);
  });

  it('enforces limits', () => {
    // Past 6 buttons, the rest are listed as commands to type under the body (nothing is lost).
    const many: Card = { title: 't', blocks: [actions(Array.from({ length: 8 }, (_, i) => commandButton(`b${i}`, `/x ${i}`)))] };
    const params = renderCardParams(many, { customTemplate: false });
    expect((JSON.parse(params.sys_full_json_obj!) as { msgButtons: unknown[] }).msgButtons).toHaveLength(6);
    expect(params.staticMsgContent).toContain('b6: `/x 6`');
    expect(params.staticMsgContent).toContain('b7: `/x 7`');
    // Over msgParam's 15 000 bytes (§4.4): cut with a marker instead of throwing, so the message still
    // arrives (hardening item 6; this used to assert a DingtalkLimitError, i.e. a lost message).
    const huge: Card = { title: 't', blocks: [markdown('字'.repeat(6000))] };
    const md = renderMarkdown(huge);
    expect(Buffer.byteLength(JSON.stringify(md))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
    expect(md.text).toContain('已截断');
    const txt = renderText('x'.repeat(16000));
    expect(Buffer.byteLength(JSON.stringify(txt))).toBeLessThanOrEqual(MAX_MSG_PARAM_BYTES);
    expect(txt.content).toContain('truncated');
    expect(DingtalkLimitError).toBeDefined();
  });
});
