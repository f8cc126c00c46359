import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { actions, code, commandButton, fields, linkButton, markdown, note, type Card } from '../../cards/model.ts';
import type { ChatAdapter } from '../../src/adapters/types.ts';
import { cardReply, text, type OutgoingMessage } from '../../src/core/message.ts';
import { ChatOutbox } from '../../src/core/outbox.ts';
import { REDACTED, Redactor, redactingOutbox } from '../../src/core/redact.ts';

const SECRET = 'SCS7f3a9c1d2e4b5';
const r = new Redactor([SECRET, 'glpat-abcdefgh1234', 'abc', ' ']);

describe('Redactor.text', () => {
  it('replaces configured secret values wherever they appear', () => {
    expect(r.text(`token is ${SECRET}, again ${SECRET}`)).toBe(`token is ${REDACTED}, again ${REDACTED}`);
    expect(r.text(`url?x=${encodeURIComponent(SECRET)}`)).not.toContain(SECRET);
  });

  it('ignores trivially short values (they would shred ordinary text)', () => {
    expect(r.text('abc and  spaces')).toBe('abc and  spaces');
  });

  it.each([
    ['authorization: Bearer sntrys_unconfigured_1', 'authorization: Bearer [REDACTED]'],
    ['Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic [REDACTED]'],
    ['{"authorization":"Bearer xyz.abc"}', '{"authorization":"Bearer [REDACTED]"}'],
    ['private-token: glpat-other-0000', 'private-token: [REDACTED]'],
    ['PRIVATE-TOKEN: glpat-other-0000', 'PRIVATE-TOKEN: [REDACTED]'],
    ['"private_token": "zzz-yyy"', '"private_token": "[REDACTED]"'],
    ['GET /gettoken?access_token=wxyz123&x=1', 'GET /gettoken?access_token=[REDACTED]&x=1'],
    ['X-Gitlab-Token: hook-secret-1', 'X-Gitlab-Token: [REDACTED]'],
  ])('redacts the header-shaped credential in %s', (input, want) => {
    expect(new Redactor().text(input)).toBe(want);
  });

  it('leaves ordinary text alone', () => {
    const s = 'deploy demo v1.1.0 to env-1: authorization required, token count 3';
    expect(new Redactor().text(s)).toBe(s);
  });
});

describe('Redactor.card / reply', () => {
  const card: Card = {
    title: `failed: ${SECRET}`,
    tone: 'danger',
    blocks: [
      markdown(`body authorization: Bearer ${SECRET}`),
      note(SECRET),
      code(`line private-token: glpat-abcdefgh1234`),
      fields([{ label: SECRET, value: `v ${SECRET}` }]),
      actions([commandButton(`b ${SECRET}`, `/x ${SECRET}`, 'danger'), linkButton('open', `https://x/?access_token=${SECRET}`)]),
    ],
  };

  it('redacts every string of a card, deep, and does not mutate the original', () => {
    const before = JSON.stringify(card);
    const out = r.card(card);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(JSON.stringify(out)).not.toContain('glpat-abcdefgh1234');
    expect(out.tone).toBe('danger');
    expect(out.blocks.map((b) => b.kind)).toEqual(['markdown', 'note', 'code', 'fields', 'actions']);
    expect(JSON.stringify(card)).toBe(before);
  });

  it('redacts text and card replies', () => {
    expect(r.reply(text(`x ${SECRET}`))).toEqual(text(`x ${REDACTED}`));
    expect(JSON.stringify(r.reply(cardReply(card)))).not.toContain(SECRET);
  });
});

describe('outbound redaction', () => {
  const msg = (t: string): OutgoingMessage => ({ to: 'test:room', reply: text(t) });

  it('redactingOutbox redacts every reply handed to send', async () => {
    const sent: OutgoingMessage[] = [];
    const wrapped = redactingOutbox({ send: async (m) => void sent.push(m) }, r);
    await wrapped.send(msg(`sentry said: authorization: Bearer ${SECRET}`));
    expect(sent[0]!.reply).toEqual(text(`sentry said: authorization: Bearer ${REDACTED}`));
  });

  it('ChatOutbox applies its redact option to direct and parked messages', async () => {
    const sent: OutgoingMessage[] = [];
    const adapter = { platform: 'test', addressPrefixes: ['test'], send: async (m: OutgoingMessage) => void sent.push(m) } as unknown as ChatAdapter;
    const outbox = new ChatOutbox(pino({ level: 'silent' }), { budgetPerMinute: 1, windowMs: 60, redact: r.reply });
    outbox.register(adapter);
    await outbox.send(msg(`one ${SECRET}`));
    await outbox.send(msg(`two ${SECRET}`)); // over budget: parked, sent when the window frees
    await new Promise((res) => setTimeout(res, 200));
    outbox.stop();
    expect(sent.map((m) => (m.reply as { text: string }).text)).toEqual([`one ${REDACTED}`, `two ${REDACTED}`]);
  });
});
