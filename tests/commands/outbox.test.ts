// /outbox (admin only): queued and dead sends per chat with the last error, a retry button that runs
// `/outbox retry <chat|all>`, and the outbox metrics on /metrics.
import { afterEach, describe, expect, it } from 'vitest';
import { outboxCard } from '../../cards/outbox.ts';
import { cardToText } from '../../cards/model.ts';
import { UpstreamError } from '../../src/core/errors.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import { createTestBot } from '../helpers/test-bot.ts';

const bots: Awaited<ReturnType<typeof createTestBot>>[] = [];
afterEach(async () => {
  for (const b of bots.splice(0)) await b.stop();
});
const t = (key: string, vars?: Record<string, string | number>) => `${key}${vars ? JSON.stringify(vars) : ''}`;

describe('/outbox', () => {
  it('the card lists queued and dead per chat with the last error and retry buttons (text rendering too)', () => {
    const card = outboxCard(
      [
        { chat: 'dingtalk:cidA', state: 'dead', attempts: 9, lastError: 'HTTP 503', deadReason: 'budget' },
        { chat: 'dingtalk:cidA', state: 'queued', attempts: 0 },
        { chat: 'wecom:bob', state: 'queued', attempts: 2, lastError: 'errcode -1' },
      ],
      t,
    );
    const txt = cardToText(card);
    expect(txt).toContain('dingtalk:cidA');
    expect(txt).toContain('HTTP 503');
    expect(txt).toContain('errcode -1');
    expect(JSON.stringify(card)).toContain('/outbox retry dingtalk:cidA');
    expect(card.tone).toBe('danger');
    expect(outboxCard([], t).blocks).toHaveLength(1);
  });

  it('shows a dead send with its error to an admin, denies others, retries on the button command; metrics count it', async () => {
    const b = await createTestBot();
    bots.push(b);
    let broken = true;
    const send = b.adapter.send.bind(b.adapter);
    b.adapter.send = async (m: OutgoingMessage) => {
      if (broken && m.to === 'test:team') throw new UpstreamError('test', 400, 'template rejected');
      return send(m);
    };
    await b.opsbot.outbox.send({ to: 'test:team', reply: text('deploy finished') });
    const shown = (await b.say('/outbox', { from: 'root', chat: 'ops' })).join('\n');
    expect(shown).toContain('test:team');
    expect(shown).toContain('template rejected');
    expect((await b.say('/outbox', { from: 'bob', chat: 'ops' })).join('\n')).not.toContain('template rejected');

    const metrics = await b.opsbot.metrics.registry.metrics();
    expect(metrics).toMatch(/opsbot_outbox_sends_total\{platform="test",outcome="failed"\} 1/);
    expect(metrics).toMatch(/opsbot_outbox_dead\{platform="test"\} 1/);

    broken = false;
    const answer = (await b.say('/outbox retry all', { from: 'root', chat: 'ops' })).join('\n');
    expect(answer).toContain('1');
    expect(b.adapter.sent.filter((m) => m.to === 'test:team').map((m) => m.reply)).toEqual([text('deploy finished')]);
    expect((await b.say('/outbox', { from: 'root', chat: 'ops' })).join('\n')).not.toContain('test:team');
    expect(await b.opsbot.metrics.registry.metrics()).toMatch(/opsbot_outbox_sends_total\{platform="test",outcome="sent"\}/);
  });
});
