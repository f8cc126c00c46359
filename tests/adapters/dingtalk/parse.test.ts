import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../src/core/errors.ts';
import { decodeCommandId, encodeCommandId } from '../../../src/adapters/dingtalk/actions.ts';
import {
  cardClickToMessage,
  isCardCallback,
  parseCardCallback,
  parseRobotMessage,
  stripMentions,
  type DingtalkReplyContext,
} from '../../../src/adapters/dingtalk/parse.ts';
import { fixture } from './helpers.ts';

describe('parseRobotMessage (chat-platforms.md §2)', () => {
  it('maps the chatops fixture', () => {
    const m = parseRobotMessage(fixture('dingtalk-robot-message-chatops.json'), 42);
    expect(m).toEqual({
      id: 'msgAbCdEf0123456789==',
      platform: 'dingtalk',
      chat: 'dingtalk:cidAbCdEfGhIjKlMnOpQrSt==',
      chatType: 'group',
      sender: { platform: 'dingtalk', id: 'zhangsan', name: '张三' },
      text: '/deploy demo v1.1.0 env-1',
      receivedAt: 42,
      replyContext: {
        conversationId: 'cidAbCdEfGhIjKlMnOpQrSt==',
        conversationType: '2',
        sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=0123456789abcdef0123456789abcdef',
        sessionWebhookExpiredTime: 1700005400000,
        robotCode: 'dingrobotcode00000',
        senderStaffId: 'zhangsan',
      } satisfies DingtalkReplyContext,
    });
  });

  it('maps the official example (no robotCode) and a single chat', () => {
    const official = fixture('dingtalk-robot-message.json');
    expect(parseRobotMessage(official).text).toBe('你好');
    const direct = parseRobotMessage({ ...official, conversationType: '1' });
    expect(direct.chatType).toBe('direct');
    expect(direct.sender.id).toBe('user123');
  });

  it('falls back to senderId and parses a JSON string (Stream data)', () => {
    const f = fixture('dingtalk-robot-message-chatops.json');
    delete f['senderStaffId'];
    const m = parseRobotMessage(JSON.stringify(f));
    expect(m.sender.id).toBe('$:LWCP_v1:$SenderDingtalkIdXX');
  });

  it('strips leading @mentions and whitespace only', () => {
    expect(stripMentions('  @opsbot  /status demo')).toBe('/status demo');
    expect(stripMentions('@opsbot @alice /whoami')).toBe('/whoami');
    expect(stripMentions('/deploy a@b c')).toBe('/deploy a@b c');
  });

  it('rejects malformed bodies with BadRequestError', () => {
    expect(() => parseRobotMessage('{nope')).toThrow(BadRequestError);
    expect(() => parseRobotMessage({ msgId: 'x' })).toThrow(/conversationId/);
    const f = fixture('dingtalk-robot-message.json');
    expect(() => parseRobotMessage({ ...f, conversationType: '3' })).toThrow(BadRequestError);
    expect(() => parseRobotMessage({ ...f, senderStaffId: undefined, senderId: undefined })).toThrow(/senderStaffId/);
  });
});

describe('card callbacks (chat-platforms.md §4.6, §4.8)', () => {
  it('round-trips a command through the button id', () => {
    const id = encodeCommandId('/deploy confirm D7 --to 张三');
    expect(id).toMatch(/^ob1\.[A-Za-z0-9_-]+$/);
    expect(decodeCommandId(id)).toBe('/deploy confirm D7 --to 张三');
    expect(decodeCommandId('confirm')).toBeUndefined();
    expect(() => encodeCommandId('/x ' + 'a'.repeat(300))).toThrow(/too long/);
  });

  it('decodes a public-template click (actionIds[0] = our button id)', () => {
    const expected = fixture<{ card_callback_data_public_template_click_expected: { data_parsed_from_frame: Record<string, unknown> } }>(
      'dingtalk-card-public-templates.json',
    ).card_callback_data_public_template_click_expected.data_parsed_from_frame;
    const data = { ...expected, content: JSON.stringify({ cardPrivateData: { actionIds: [encodeCommandId('/alert ack A42')], params: {} } }) };
    expect(isCardCallback(data)).toBe(true);
    const click = parseCardCallback(JSON.stringify(data));
    expect(click).toMatchObject({ outTrackId: 'opsbot-alert-A42-1', userId: 'zhangsan', command: '/alert ack A42', spaceType: 'IM_GROUP' });
    const msg = cardClickToMessage(click, { deliveryId: 'card:frame-1', receivedAt: 7 });
    expect(msg).toEqual({
      id: 'card:frame-1',
      platform: 'dingtalk',
      chat: 'dingtalk:cidAbCdEfGhIjKlMnOpQrSt==',
      chatType: 'group',
      sender: { platform: 'dingtalk', id: 'zhangsan' },
      text: '/alert ack A42',
      receivedAt: 7,
      fromAction: true,
    });
  });

  it('prefers params.command (own template) and accepts `value` instead of `content`', () => {
    const base = fixture('dingtalk-card-callback.json');
    const withCommand = { ...base, value: JSON.stringify({ cardPrivateData: { actionIds: ['confirm'], params: { command: '/deploy confirm 0001' } } }) };
    delete (withCommand as Record<string, unknown>)['content'];
    const click = parseCardCallback(withCommand);
    expect(click.command).toBe('/deploy confirm 0001');
    expect(cardClickToMessage(click, { chat: 'dingtalk:cidX', chatType: 'group' })).toMatchObject({
      chat: 'dingtalk:cidX',
      id: 'card:deploy-demo-v1.1.0-env-1-0001:confirm:lisi',
      sender: { id: 'lisi' },
    });
  });

  it('rejects a click that carries no opsbot command (the fixture template button "confirm")', () => {
    expect(() => parseCardCallback(fixture('dingtalk-card-callback.json'))).toThrow(BadRequestError);
    expect(() => parseCardCallback({ outTrackId: 'x' })).toThrow(/userId/);
  });
});
