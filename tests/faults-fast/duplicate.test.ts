/**
 * The same delivery sent 5 times concurrently (a retrying sender racing itself): every copy gets a 2xx,
 * exactly one is new, one delivery is stored and it is processed once (one card, count 1).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Card } from '../../cards/model.ts';
import { eventAlertBody, eventId, sentryHeaders } from '../../bench/lib/sentry.ts';
import { allSourcesYaml, post, readDeliveries, SECRETS, startInProcess, type InProcessBot } from '../faults/helpers.ts';

let bot: InProcessBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

const eventsOnCard = (card: Card): string | undefined => {
  for (const b of card.blocks) if (b.kind === 'fields') return b.fields.find((f) => f.label === 'Events')?.value;
  return undefined;
};

async function fiveAtOnce(url: string, body: string, headers: Record<string, string>) {
  const answers = await Promise.all(Array.from({ length: 5 }, () => post(url, body, headers)));
  return answers.map((a) => ({ status: a.status, duplicate: (JSON.parse(a.text) as { duplicate?: boolean }).duplicate }));
}

describe('concurrent duplicates', () => {
  it('sentry: 5 concurrent copies → 5 × 200, one new, stored once, processed once, one card counting 1', async () => {
    bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }));
    const body = eventAlertBody(eventId('d5', 1));
    const answers = await fiveAtOnce(`${bot.url}/webhooks/sentry`, body, sentryHeaders(body, SECRETS.sentryClientSecret));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(1);
    await bot.opsbot.deliveries.idle();
    await expect.poll(() => bot!.adapter.sent.length).toBe(1);
    const stored = await bot.opsbot.deliveries.collection.list();
    expect(stored.map((d) => [d.status, d.attempts])).toEqual([['processed', 1]]);
    const card = bot.adapter.sent[0]!;
    expect(card.cardKey).toBe('sentry:issue:1117540176');
    expect(eventsOnCard((card.reply as { card: Card }).card)).toBe('1');
    await new Promise((r) => setTimeout(r, 200));
    expect(bot.adapter.sent).toHaveLength(1);
    await bot.stop();
    const onDisk = await readDeliveries(bot.dataDir);
    expect(onDisk.map((d) => [d.status, d.attempts])).toEqual([['processed', 1]]);
    bot = undefined;
  });

  it('sentry legacy: 5 concurrent copies → stored once, processed once', async () => {
    bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }));
    const body = readFileSync('/work/shared/fixtures/sentry/sentry-legacy-webhook-plugin.json', 'utf8');
    const answers = await fiveAtOnce(`${bot.url}/webhooks/sentry/legacy/${SECRETS.sentryLegacyToken}`, body, { 'content-type': 'application/json' });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(1);
    await bot.opsbot.deliveries.idle();
    const stored = await bot.opsbot.deliveries.collection.list();
    expect(stored.map((d) => [d.kind, d.status, d.attempts])).toEqual([['legacy.triggered', 'processed', 1]]);
  });
});
