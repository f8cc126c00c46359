import { describe, expect, it } from 'vitest';
import { parseCommand, tokenize } from '../../src/core/parse.ts';

describe('parseCommand', () => {
  it('splits a command into name, positionals, flags and pairs', () => {
    const p = parseCommand('/deploy demo v1.1.0 env-1 --dry-run a=b', () => []);
    expect(p).toEqual({ name: 'deploy', positionals: ['demo', 'v1.1.0', 'env-1'], flags: { dryRun: true }, pairs: { a: 'b' }, rest: 'demo v1.1.0 env-1 --dry-run a=b' });
  });
  it('honours quotes, including full-width ones', () => {
    expect(tokenize('a "b c" \'d e\' “中 文”')).toEqual(['a', 'b c', 'd e', '中 文']);
  });
  it('takes a value for declared value flags, and --k=v always', () => {
    expect(parseCommand('/rollback demo env-1 --to v1.0.0', () => ['to'])?.flags).toEqual({ to: 'v1.0.0' });
    expect(parseCommand('/rollback demo env-1 --to=v1.0.0', () => [])?.flags).toEqual({ to: 'v1.0.0' });
    expect(parseCommand('/rollback demo env-1 --to v1.0.0', () => [])?.positionals).toEqual(['demo', 'env-1', 'v1.0.0']);
  });
  it('returns null for non-commands and accepts the full-width slash', () => {
    expect(parseCommand('hello', () => [])).toBeNull();
    expect(parseCommand('／status demo', () => [])?.name).toBe('status');
  });
  it('rejects an unclosed quote', () => {
    expect(() => tokenize('"abc')).toThrow(/unclosed quote/);
  });
});
