import { describe, expect, it } from 'vitest';
import { labelMatches, routeAmAlert } from '../../../src/sources/alertmanager/routing.ts';
import { botConfig } from '../sentry/helpers.ts';
import { amConfig } from './helpers.ts';

describe('Alertmanager routing', () => {
  it('matcher syntax: exact, =, !=, =~ (anchored), !~; a missing label reads as ""', () => {
    expect(labelMatches('pay-prod', 'pay-prod')).toBe(true);
    expect(labelMatches('pay-prod', '=pay-prod')).toBe(true);
    expect(labelMatches('dev', '!=dev')).toBe(false);
    expect(labelMatches(undefined, '!=dev')).toBe(true);
    expect(labelMatches('pay-prod', '=~pay-.*')).toBe(true);
    expect(labelMatches('xpay-prod', '=~pay-.*')).toBe(false);
    expect(labelMatches('pay-prod', '!~pay-.*')).toBe(false);
    expect(labelMatches(undefined, '=~.*')).toBe(true);
  });

  it('a rule routes to its product (team chats, owners, environment); severity decides paging', () => {
    const r = routeAmAlert(botConfig(), amConfig(), { alertname: 'X', namespace: 'pay-prod', severity: 'critical' });
    expect(r).toMatchObject({ product: 'demo', team: 'payments', environment: 'prod', chats: ['dingtalk:cid-pay', 'wecom-group:wg-pay'], owners: ['alice', 'bob'], paging: true, unmapped: false });
    const quiet = routeAmAlert(botConfig(), amConfig(), { alertname: 'X', namespace: 'pay-prod', severity: 'warning' });
    expect(quiet).toMatchObject({ product: 'demo', paging: false, owners: [] });
  });

  it('without a rule: the product label, then the team label, else the default chat', () => {
    const cfg = amConfig({ routes: [] });
    expect(routeAmAlert(botConfig(), cfg, { product: 'demo' })).toMatchObject({ product: 'demo', owners: ['alice', 'bob'] });
    expect(routeAmAlert(botConfig(), cfg, { team: 'payments' })).toMatchObject({ team: 'payments', chats: ['dingtalk:cid-pay', 'wecom-group:wg-pay'], owners: [] });
    expect(routeAmAlert(botConfig(), cfg, { product: 'nope' })).toMatchObject({ chats: ['dingtalk:cid-default'], unmapped: true });
  });

  it('a bad regex in routes is a config error', () => {
    expect(() => amConfig({ routes: [{ match: { namespace: '=~(' }, product: 'demo' }] })).toThrow('not a regular expression');
  });

  it("label values that name Object's own keys (constructor, __proto__, toString) route nowhere, never throw", () => {
    for (const v of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const byTeam = routeAmAlert(botConfig(), amConfig(), { alertname: 'X', team: v });
      expect(byTeam.unmapped).toBe(true);
      const byProduct = routeAmAlert(botConfig(), amConfig(), { alertname: 'X', product: v });
      expect(byProduct.unmapped).toBe(true);
      expect(byProduct.product).toBeUndefined();
    }
  });
});
