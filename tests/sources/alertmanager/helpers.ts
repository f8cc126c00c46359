/** Shared bits of the Alertmanager unit tests: fixtures (tests/fixtures/alertmanager, see its README) and config. */
import { readFileSync } from 'node:fs';
import { alertmanagerConfigSchema, type AlertmanagerConfig } from '../../../src/sources/alertmanager/config.ts';

export const FIXTURES = new URL('../../fixtures/alertmanager', import.meta.url).pathname;
export const amFixtureText = (name: string): string => readFileSync(`${FIXTURES}/${name}`, 'utf8');
export const amFixture = (name: string): Record<string, unknown> => JSON.parse(amFixtureText(name)) as Record<string, unknown>;
export const TOKEN = 'unit-am-token';

export function amConfig(over: Record<string, unknown> = {}): AlertmanagerConfig {
  return alertmanagerConfigSchema.parse({
    token: TOKEN,
    defaultChat: 'dingtalk:cid-default',
    routes: [{ match: { namespace: '=~pay-.*' }, product: 'demo', environment: 'prod' }],
    ...over,
  });
}
