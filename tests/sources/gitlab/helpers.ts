/** Fixture loading and request building for the GitLab source tests. */
import { readFileSync, readdirSync } from 'node:fs';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { FIXTURES } from './fake-gitlab.ts';

export const SECRET = 'opsbot-example-secret-token';

export const fixtureBytes = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

/** Header file → lower-cased header map, as the server hands them over. */
export function fixtureHeaders(name: string): Record<string, string> {
  const raw = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Every webhook payload fixture with a `<name>.headers.json` beside it. */
export const WEBHOOK_FIXTURES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.headers.json') && !f.startsWith('api-') && !f.includes('.signed.'))
  .map((f) => f.replace(/\.headers\.json$/, ''));

export function rawRequest(body: Buffer, headers: Record<string, string | undefined>, receivedAt = Date.now()): RawRequest {
  return { method: 'POST', headers, query: new URLSearchParams(), params: {}, rawBody: body, receivedAt };
}

export function fixtureRequest(name: string, overrides: Record<string, string | undefined> = {}): RawRequest {
  return rawRequest(fixtureBytes(`${name}.json`), { ...fixtureHeaders(`${name}.headers.json`), ...overrides });
}
