/** The message of the ConfigError that loading this YAML text raises (the test fails when it loads). */
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

export function configErrorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig({ file: 'bad.yaml', text, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
