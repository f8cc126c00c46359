import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, type CommandSpec } from '../../src/core/define-command.ts';
import { UserFacingError } from '../../src/core/errors.ts';
import { text } from '../../src/core/message.ts';
import { CommandRegistry, RegistryError } from '../../src/core/registry.ts';
import { can } from '../../src/core/permissions.ts';
import { createTestBot } from '../helpers/test-bot.ts';

const ran: string[] = [];
const push = defineCommand({
  name: 'push',
  aliases: ['p'],
  summary: { 'zh-CN': '推送', en: 'Push' },
  params: ['env'],
  args: z.object({ env: z.string() }),
  examples: ['/push env-1'],
  permission: { roles: ['deployer'] },
  confirm: (a) => a.env === 'prod',
  async run({ args }) {
    ran.push(args.env);
    return text(`pushed ${args.env}`);
  },
});
const boom = defineCommand({
  name: 'boom',
  summary: { 'zh-CN': '炸', en: 'Boom' },
  params: [],
  args: z.object({}),
  examples: [],
  permission: 'anyone',
  async run() {
    throw new Error('secret internal detail');
  },
});
const nope = defineCommand({
  name: 'nope', summary: { 'zh-CN': '不', en: 'No' }, params: [], args: z.object({}), examples: [], permission: 'anyone',
  async run() { throw new UserFacingError('E_NOT_FOUND', 'no such product "x"; valid: demo'); },
});

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
  ran.length = 0;
});

async function bot(clock?: () => number) {
  const t = await createTestBot(clock ? { clock } : {});
  const reg = t.opsbot.registry;
  for (const c of [push, boom, nope]) reg.register(c as unknown as CommandSpec);
  stop = t.stop;
  return t;
}

describe('permissions', () => {
  it('is pure: roles, admin, anyone', () => {
    expect(can(undefined, 'anyone')).toBe(true);
    expect(can(undefined, { roles: ['deployer'] })).toBe(false);
    expect(can({ id: 'a', name: 'A', roles: ['deployer'] }, { roles: ['deployer'] })).toBe(true);
    expect(can({ id: 'r', name: 'R', roles: ['admin'] }, { roles: ['deployer'] })).toBe(true);
  });
  it('a person without the role is told which role is needed', async () => {
    const t = await bot();
    const [out] = await t.say('/push env-1', { from: 'bob' });
    expect(out).toContain('needs one of the roles: deployer');
    expect(ran).toEqual([]);
  });
  it('an unknown sender is told how to be added', async () => {
    const t = await bot();
    const [out] = await t.say('/push env-1', { from: 'mallory' });
    expect(out).toContain('mallory');
    expect(out).toContain('people');
  });
  it('aliases work', async () => {
    const t = await bot();
    expect(await t.say('/p env-1')).toEqual(['pushed env-1']);
  });
  it('alias collisions fail at start', () => {
    expect(() => new CommandRegistry([push, { ...push, name: 'other', aliases: ['p'] }] as unknown as CommandSpec[])).toThrow(RegistryError);
  });
});

describe('confirmation', () => {
  it('runs only after /confirm <id> from the same user', async () => {
    const t = await bot();
    const [card] = await t.say('/push prod', { from: 'alice' });
    expect(card).toContain('Please confirm: /push prod');
    const id = /\/confirm (\w+)/.exec(card!)![1]!;
    expect(ran).toEqual([]);
    const [wrong] = await t.say(`/confirm ${id}`, { from: 'root' });
    expect(wrong).toContain('Only the person who asked');
    expect(await t.say(`/confirm ${id}`, { from: 'alice' })).toEqual(['pushed prod']);
    expect(ran).toEqual(['prod']);
    const [again] = await t.say(`/confirm ${id}`, { from: 'alice' });
    expect(again).toContain('Nothing is waiting');
  });
  it('expires after the TTL', async () => {
    let now = 1_000_000;
    const t = await bot(() => now);
    const [card] = await t.say('/push prod', { from: 'alice' });
    const id = /\/confirm (\w+)/.exec(card!)![1]!;
    now += 301_000;
    const [out] = await t.say(`/confirm ${id}`, { from: 'alice' });
    expect(out).toContain('expired');
    expect(ran).toEqual([]);
  });
  it('/cancel drops the pending proposal', async () => {
    const t = await bot();
    await t.say('/push prod', { from: 'alice' });
    expect((await t.say('/cancel', { from: 'alice' }))[0]).toContain('Cancelled');
    expect((await t.say('/confirm', { from: 'alice' }))[0]).toContain('Nothing is waiting');
    expect(ran).toEqual([]);
  });
  it('is per chat: a confirmation in another chat does not match', async () => {
    const t = await bot();
    const [card] = await t.say('/push prod', { from: 'alice', chat: 'a' });
    const id = /\/confirm (\w+)/.exec(card!)![1]!;
    expect((await t.say(`/confirm ${id}`, { from: 'alice', chat: 'b' }))[0]).toContain('Nothing is waiting');
  });
});

describe('error boundary', () => {
  it('an unexpected error shows a short card with an error id, never the detail', async () => {
    const t = await bot();
    const [out] = await t.say('/boom');
    expect(out).toMatch(/Error id: `[0-9a-f]{8}`/);
    expect(out).not.toContain('secret internal detail');
  });
  it('a user-facing error is shown as is', async () => {
    const t = await bot();
    expect((await t.say('/nope'))[0]).toContain('no such product "x"; valid: demo');
  });
});
