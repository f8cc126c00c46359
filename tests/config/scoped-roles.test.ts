// `people.*.roles` may hold `deployer:<product>`; the product must be configured (load.ts cross-checks).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const yaml = (roles: string) => `
people: { alice: { name: Alice, roles: ${roles} } }
products:
  demo: { components: [a], environments: { env-1: { engine: { type: command, run: ["./x.sh"] } } } }
  billing: { components: [a], environments: { env-1: { engine: { type: command, run: ["./x.sh"] } } } }
`;

function problems(text: string): string {
  try {
    loadConfig({ file: 'bad.yaml', text, env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('scoped roles in config', () => {
  it('accepts deployer:<configured product> next to global roles', () => {
    const { config } = loadConfig({ file: 'ok.yaml', text: yaml('[viewer, "deployer:demo", deployer:billing]'), env: {} });
    expect(config.people.alice?.roles).toEqual(['viewer', 'deployer:demo', 'deployer:billing']);
  });
  it('an unknown product names the file, the YAML path and the valid products', () => {
    const msg = problems(yaml('[viewer, "deployer:bliling"]'));
    expect(msg).toContain('bad.yaml: people.alice.roles.1: "deployer:bliling": product "bliling" is not configured (did you mean "billing"?)');
    expect(msg).toContain('valid products: demo, billing');
  });
  it('an empty product, and a role that cannot be scoped, are errors too', () => {
    expect(problems(yaml('["deployer:"]'))).toMatch(/people\.alice\.roles\.0: "deployer:": no product after the colon\. valid products: demo, billing/);
    const msg = problems(yaml('["oncall:demo", "admin:demo"]'));
    expect(msg).toMatch(/people\.alice\.roles\.0: "oncall:demo": only deployer can be limited to one product/);
    expect(msg).toMatch(/people\.alice\.roles\.1: "admin:demo": only deployer can be limited/);
  });
});
