/**
 * 3. Alert storm: 10 000 signed-shape Sentry event_alert deliveries of 3 issues spread over 60 s of fake
 * time, through the real path after the HTTP layer: DeliveryPipeline (memory store) → Sentry processor →
 * reactions (alert engine) → ChatOutbox (budget 20/min) → CaptureAdapters for the team's two chats.
 * Same approach as the sentry helper's storm test (tests/sources/sentry/reactions.test.ts): a movable
 * clock, `tick()` driven by hand, then a minute of ticks to let refreshes land.
 */
import { People } from '../src/core/people.ts';
import { PLATFORM_IDENTITIES } from '../src/platforms.ts';
import { processSource } from '../src/core/mount-source.ts';
import { pino } from 'pino';
import { CaptureAdapter } from '../src/adapters/capture.ts';
import { configSchema } from '../src/config/schema.ts';
import { DeliveryPipeline } from '../src/core/deliveries.ts';
import { EventBus } from '../src/core/events.ts';
import type { OutgoingMessage } from '../src/core/message.ts';
import { ChatOutbox } from '../src/core/outbox.ts';
import { createSentry } from '../src/sources/sentry/index.ts';
import { sentryConfigSchema } from '../src/sources/sentry/config.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import type { Card } from '../cards/model.ts';
import { eventAlertBody, eventId, FIXTURE_CLIENT_SECRET } from './lib/sentry.ts';
import { int, table } from './lib/table.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const FIXTURE_ISSUE = '1117540176';

/** Records the fake time of every send. */
class TimedCapture extends CaptureAdapter {
  readonly at: number[] = [];
  constructor(prefix: string, private readonly clock: () => number) {
    super([prefix]);
  }
  override async send(msg: OutgoingMessage): Promise<void> {
    this.at.push(this.clock());
    return super.send(msg);
  }
}

const eventsOnCard = (m: OutgoingMessage): number | undefined => {
  if (m.reply.kind !== 'card') return undefined;
  const card = (m.reply as { card: Card }).card;
  for (const b of card.blocks) if (b.kind === 'fields') {
    const v = b.fields.find((f) => f.label === 'Events')?.value;
    if (v !== undefined) return Number(v);
  }
  return undefined;
};

export async function benchStorm(o: { events: number }): Promise<string> {
  const now = { t: T0 };
  const clock = () => now.t;
  const log = pino({ level: 'silent' });
  const config = configSchema.parse({
    locale: 'en',
    chat: { console: false },
    people: { alice: { name: 'Alice', dingtalk: 'ding-alice', wecom: 'wc-alice', roles: [] } },
    teams: { payments: { members: ['alice'], chats: ['dingtalk:cid-pay', 'wecom-group:wg-pay'] } },
    products: { demo: { team: 'payments', owners: ['alice'], sentryProjects: ['front-end', 'demo-web'], components: ['a'], environments: { prod: { engine: { type: 'command', run: ['./x.sh'] } } } } },
  });
  const sentry = sentryConfigSchema.parse({ org: 'acme', authToken: 'tok', clientSecret: FIXTURE_CLIENT_SECRET, appSlug: 'opsbot', url: 'http://127.0.0.1:9', reportDeploys: false });
  const store = new MemoryStore();
  const events = new EventBus((err) => log.error({ err }));
  const outbox = new ChatOutbox(log, { budgetPerMinute: 20, clock });
  const ding = new TimedCapture('dingtalk', clock);
  const wecom = new TimedCapture('wecom-group', clock);
  outbox.register(ding);
  outbox.register(wecom);
  const deliveries = new DeliveryPipeline(store, log, { retention: o.events * 2 });
  const feature = createSentry({ config, store, events, outbox, log, locale: 'en', clock, people: new People(config, PLATFORM_IDENTITIES) }, { sentry, tickMs: 0 });
  for (const s of feature.sources) processSource(s, { deliveries, events });

  const issues = ['5550001', '5550002', '5550003'];
  const perIssue = new Map(issues.map((i) => [i, 0]));
  const wall0 = performance.now();
  for (let n = 0; n < o.events; n++) {
    const issue = issues[n % issues.length]!;
    perIssue.set(issue, perIssue.get(issue)! + 1);
    now.t = T0 + Math.floor((n * 60_000) / o.events);
    const body = eventAlertBody(eventId('5e', n)).split(FIXTURE_ISSUE).join(issue);
    await deliveries.accept({ source: 'sentry', kind: 'event_alert.triggered', dedupeKey: `storm:${n}`, headers: {}, body, receivedAt: now.t });
    if (n % 20 === 19) await deliveries.idle();
    if (n % 500 === 499) await feature.reactions.tick();
  }
  await deliveries.idle();
  const wallMs = performance.now() - wall0;
  for (let s = 0; s < 12; s++) {
    now.t += 10_000;
    await feature.reactions.tick();
  }
  feature.stop();
  outbox.stop();

  const processed = (await deliveries.collection.list()).filter((d) => d.status === 'processed').length;
  const rows: (string | number)[][] = [];
  const problems: string[] = [];
  for (const [chat, a] of [['dingtalk:cid-pay', ding], ['wecom-group:wg-pay', wecom]] as const) {
    const sent = a.sent.filter((m) => m.to === chat);
    let maxWindow = 0;
    for (let i = 0; i < a.at.length; i++) maxWindow = Math.max(maxWindow, a.at.filter((t) => t >= a.at[i]! && t < a.at[i]! + 60_000).length);
    const counts = issues.map((id) => {
      const last = sent.filter((m) => m.cardKey === `sentry:issue:${id}`).at(-1);
      const c = last ? eventsOnCard(last) : undefined;
      if (c !== perIssue.get(id)) problems.push(`${chat} issue ${id}: card says ${c}, sent ${perIssue.get(id)}`);
      return `${c ?? '–'}/${perIssue.get(id)}`;
    });
    if (maxWindow > 20) problems.push(`${chat}: ${maxWindow} messages in one 60 s window`);
    rows.push([chat, sent.length, maxWindow, sent.filter((m) => m.mentions?.length).length, ...counts]);
  }
  return [
    `### Alert storm (${int(o.events)} event_alert deliveries of ${issues.length} issues in 60 s of fake time; wall time ${int(wallMs)} ms = ${int((o.events / wallMs) * 1000)} deliveries/s processed)`,
    '',
    table(['chat', 'messages sent (70 s)', 'max in any 60 s window (goal ≤ 20)', '@mention posts', ...issues.map((i) => `issue ${i}: last card / sent`)], rows),
    '',
    `- ${int(processed)} of ${int(o.events)} deliveries processed; outbox handed ${outbox.sentCount} messages to adapters.`,
    `- Budget ≤ 20/chat/min and exact counts: ${problems.length === 0 ? 'met' : 'MISSED: ' + problems.join('; ')}`,
  ].join('\n');
}
