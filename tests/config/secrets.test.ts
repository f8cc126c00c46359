// Item 8 of the hardening issue: a config error never prints the value of a secret key, and
// whitespace-only or trivially short secrets are refused at start, by YAML path.
import { describe, expect, it } from 'vitest';
import { loadConfig, MIN_SECRET_LENGTH } from '../../src/config/load.ts';
import { configErrorOf } from '../helpers/config-errors.ts';

const SECRET = 'SCS7f3a9e1c2d4b6a8f0e2c4';
const sentry = (clientSecret: string, authToken = '"sntrys_good_token_0123456789"') => `sentry: { org: acme, authToken: ${authToken}, clientSecret: ${clientSecret} }\n`;

const message = configErrorOf;

describe('secret values never appear in config errors', () => {
  it('a type error under a secret key names the path and the kind, not the value', () => {
    const m = message(sentry(`["${SECRET}"]`));
    expect(m).toMatch(/bad\.yaml: sentry\.clientSecret: expected string, got object/);
    expect(m).not.toContain(SECRET);
    expect(m).not.toContain(SECRET.slice(0, 7));
  });

  it('an object under a secret key: not even a nested part of it is printed', () => {
    const m = message(sentry(`{ value: "${SECRET}" }`));
    expect(m).toContain('sentry.clientSecret');
    expect(m).not.toContain(SECRET);
  });

  it('a secret from ${ENV} pasted under a non-secret key is hidden too', () => {
    const m = message(`locale: "\${SENTRY_TOKEN}"\n`, { SENTRY_TOKEN: SECRET });
    expect(m).toContain('locale');
    expect(m).not.toContain(SECRET);
  });

  it('a secret written in the file is hidden from an error about another key', () => {
    const m = message(sentry(`"${SECRET}"`) + `locale: "${SECRET}"\n`);
    expect(m).toContain('locale');
    expect(m).not.toContain(SECRET);
  });
});

describe('weak secrets are refused at start', () => {
  it.each([
    ['a space', '" "'],
    ['a tab', '"\\t"'],
    ['three characters', '"abc"'],
    [`${MIN_SECRET_LENGTH - 1} characters`, `"${'x'.repeat(MIN_SECRET_LENGTH - 1)}"`],
  ])('sentry.clientSecret: %s', (_name, value) => {
    const m = message(sentry(value));
    expect(m).toMatch(/bad\.yaml: sentry\.clientSecret: is (empty or only whitespace|too short to be a real secret)/);
    expect(m).toContain(`at least ${MIN_SECRET_LENGTH} characters`);
    if (value === '"abc"') expect(m).not.toContain('"abc"');
  });

  it('every weak secret is listed, each with its YAML path', () => {
    const m = message(sentry('"abc"', '" "') + 'gitlab: { url: "http://gl", token: "glpat-ok-0123456789", webhookSecret: "\\t" }\n');
    expect(m).toMatch(/sentry\.authToken: is empty or only whitespace/);
    expect(m).toMatch(/sentry\.clientSecret: is too short/);
    expect(m).toMatch(/gitlab\.webhookSecret: is empty or only whitespace/);
  });

  it(`${MIN_SECRET_LENGTH} characters and more load; deploy engine env values are not checked`, () => {
    const text =
      sentry(`"${'y'.repeat(MIN_SECRET_LENGTH)}"`) +
      'products:\n  demo:\n    components: [a]\n    environments:\n      e1: { engine: { type: command, run: ["./x.sh"], env: { DEPLOY_TOKEN: "t" } } }\n';
    const { config } = loadConfig({ file: 'ok.yaml', text, env: {} });
    expect(config.sentry?.clientSecret).toBe('y'.repeat(MIN_SECRET_LENGTH));
  });
});

describe('secretsOf', () => {
  it('lists the values under secret keys of a loaded config (what a Redactor is built from)', async () => {
    const { secretsOf } = await import('../../src/config/secrets.ts');
    const { config, secrets } = loadConfig({ file: 'ok.yaml', text: sentry(`"${SECRET}"`), env: {} });
    expect(secretsOf(config)).toEqual(expect.arrayContaining([SECRET, 'sntrys_good_token_0123456789']));
    for (const s of secretsOf(config)) expect(secrets).toContain(s);
  });
});
