/** Shared test helpers: fixtures, a stub Deliveries, a fake Outbox, a config. */
import { People } from '../../../src/core/people.ts';
import { PLATFORM_IDENTITIES } from '../../../src/platforms.ts';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { configSchema, type Config } from '../../../src/config/schema.ts';
import type { Deliveries, DeliveryInput, StoredDelivery } from '../../../src/core/deliveries.ts';
import type { OutgoingMessage } from '../../../src/core/message.ts';
import { sentryConfigSchema, type SentryConfig } from '../../../src/sources/sentry/config.ts';

export const FIXTURES = new URL('../../fixtures/sentry', import.meta.url).pathname;
export const fixtureText = (name: string): string => readFileSync(`${FIXTURES}/${name}`, 'utf8');
export const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name)) as Record<string, unknown>;

export interface Vectors {
  client_secret: string;
  vectors: { name: string; body: string; signature: string; headers?: Record<string, string>; js_roundtrip_body?: string; js_roundtrip_signature?: string }[];
  negative: { name: string; body: string; presented_signature: string | null }[];
  fixture_wire_bodies: { items: { file: string; resource: string; action: string; body: string; signature: string; headers: Record<string, string> }[] };
  fixture_file_bytes: { items: { file: string; resource: string; signature_over_file_bytes: string }[] };
}
export const vectors = fixture('sentry-signatures.json') as unknown as Vectors;

export const silentLog = pino({ level: 'silent' });

export function sentryConfig(over: Partial<Record<string, unknown>> = {}): SentryConfig {
  return sentryConfigSchema.parse({
    org: 'acme',
    authToken: 'tok',
    clientSecret: vectors.client_secret,
    legacyToken: 'legacy-token-0123456789abcdef',
    appSlug: 'opsbot',
    defaultChat: 'test:default',
    ...over,
  });
}

export function botConfig(over: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    people: {
      alice: { name: 'Alice', dingtalk: 'ding-alice', wecom: 'wc-alice', roles: ['oncall'] },
      bob: { name: 'Bob', dingtalk: 'ding-bob', roles: ['deployer'] },
      carol: { name: 'Carol', dingtalk: 'ding-carol', roles: [] },
    },
    teams: { payments: { members: ['alice', 'bob'], chats: ['dingtalk:cid-pay', 'wecom-group:wg-pay'] } },
    products: {
      demo: {
        team: 'payments',
        owners: ['alice', 'bob'],
        sentryProjects: ['front-end', 'demo-web', 'meow', 'my-proj'],
        components: ['component-a'],
        environments: { prod: { engine: { type: 'command', run: ['./x.sh'] } } },
      },
    },
    ...over,
  });
}

/** Records accepted deliveries, dedupes on source+dedupeKey like the real pipeline. */
export class StubDeliveries implements Deliveries {
  readonly stored = new Map<string, StoredDelivery>();
  async accept(d: DeliveryInput): Promise<{ id: string; duplicate: boolean }> {
    const id = `${d.source}:${d.dedupeKey}`;
    if (this.stored.has(id)) return { id, duplicate: true };
    this.stored.set(id, { ...d, id, status: 'pending', attempts: 0 });
    return { id, duplicate: false };
  }
  onProcess(): void {}
}

export class FakeOutbox {
  readonly sent: (OutgoingMessage & { at: number })[] = [];
  constructor(private readonly clock: () => number = Date.now) {}
  async send(msg: OutgoingMessage): Promise<void> {
    this.sent.push({ ...msg, at: this.clock() });
  }
  to(chat: string): (OutgoingMessage & { at: number })[] {
    return this.sent.filter((m) => m.to === chat);
  }
}

export function rawRequest(body: string | Buffer, headers: Record<string, string> = {}, params: Record<string, string> = {}, receivedAt = Date.now()): RawRequest {
  const lower: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { method: 'POST', headers: lower, query: new URLSearchParams(), params, rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), receivedAt };
}

/** Who is who for these configs, on every platform opsbot knows (what the app builds). */
export const peopleOf = (config: Config): People => new People(config, PLATFORM_IDENTITIES);
