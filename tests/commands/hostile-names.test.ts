/**
 * Names typed in chat are anyone's text: a product, team or schedule called `constructor`, `__proto__`
 * or `toString` must be "unknown", never Object's own property (which used to pass as a product and
 * then crash further on). Every command that takes such a name answers in words, never "internal error".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_YAML, createTestBot } from '../helpers/test-bot.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

const YAML = `${BASE_YAML}
oncall:
  pay: { rotation: { every: week, handoff: "mon 10:00", start: "2026-11-30" }, members: [alice] }
`;

describe('hostile names in commands', () => {
  it('constructor, __proto__, toString: each command says unknown (or nothing to show), never an internal error', async () => {
    const bot = await createTestBot({ yaml: YAML });
    stop = () => bot.stop();
    const commands = (n: string) => [`/mute ${n} 1h x`, `/oncall ${n}`, `/stats ${n}`, `/freeze ${n} 1h some reason`, `/status ${n}`, `/deploy ${n} v1.1.0 env-1`, `/alerts ${n}`, `/releases ${n}`];
    for (const name of ['constructor', '__proto__', 'toString']) {
      for (const c of commands(name)) {
        const out = (await bot.say(c, { from: 'root' })).join('\n');
        expect(out, c).not.toMatch(/internal error|内部错误|TypeError|undefined/i);
        expect(out.length, c).toBeGreaterThan(0);
      }
    }
  });
});
