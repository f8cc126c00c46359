// Product-scoped permissions (`<role>:<product>`): the pure checks, and the bot's check on the product a
// command's `scope` names (after args validation, before confirmation).
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, type CommandSpec, type PersonRef } from '../../src/core/define-command.ts';
import { text } from '../../src/core/message.ts';
import { can, canOn, rolesFor, scopedRole } from '../../src/core/permissions.ts';
import { createTestBot } from '../helpers/test-bot.ts';

const person = (...roles: string[]): PersonRef => ({ id: 'p', name: 'P', roles });
const scoped = { roles: ['deployer'], scope: (a: { product: string }) => a.product };
const plain = { roles: ['deployer'] };

describe('can / canOn (pure)', () => {
  it('a scoped role passes the pre-check of a scoped permission only', () => {
    expect(can(person('deployer:demo'), scoped)).toBe(true);
    expect(can(person('deployer:demo'), plain)).toBe(false);
    expect(can(person('oncall:demo'), scoped)).toBe(false);
    expect(can(person('deployerx'), scoped)).toBe(false);
    expect(can(undefined, scoped)).toBe(false);
    expect(can(person('deployer'), scoped)).toBe(true);
    expect(can(person('admin'), scoped)).toBe(true);
  });
  it('canOn: global role, admin, or the role for exactly that product', () => {
    expect(canOn(person('deployer:demo'), scoped, 'demo')).toBe(true);
    expect(canOn(person('deployer:demo'), scoped, 'billing')).toBe(false);
    expect(canOn(person('deployer:demo'), scoped, 'demo2')).toBe(false);
    expect(canOn(person('deployer'), scoped, 'billing')).toBe(true);
    expect(canOn(person('admin'), plain, 'billing')).toBe(true);
    expect(canOn(person('viewer'), plain, 'demo')).toBe(false);
    expect(canOn(undefined, plain, 'demo')).toBe(false);
    expect(canOn(undefined, 'anyone', 'demo')).toBe(true);
  });
  it('rolesFor lists what would be enough, for the denial text', () => {
    expect(rolesFor({ roles: ['deployer', 'oncall'] }, 'billing')).toEqual(['deployer', 'deployer:billing', 'oncall', 'oncall:billing']);
    expect(rolesFor('anyone', 'x')).toEqual([]);
    expect(scopedRole('deployer', 'demo')).toBe('deployer:demo');
  });
});

const ran: string[] = [];
const scopeCalls: string[] = [];
const ship = defineCommand({
  name: 'ship',
  summary: { 'zh-CN': '发', en: 'Ship' },
  params: ['product', 'env'],
  args: z.object({ product: z.string(), env: z.string() }),
  examples: ['/ship demo env-1'],
  permission: {
    roles: ['deployer'],
    // async, like /cancel's task lookup; `none` stands for "no product involved"
    scope: async (args) => {
      scopeCalls.push(args.product);
      return args.product === 'none' ? undefined : args.product;
    },
  },
  confirm: (a) => a.env === 'prod',
  async run({ args }) {
    ran.push(`${args.product} ${args.env}`);
    return text(`shipped ${args.product}`);
  },
});

const YAML = `
locale: en
chat: { console: false }
people:
  alice: { name: Alice, roles: ["deployer:demo"] }
  bob: { name: Bob, roles: [] }
products:
  demo: { components: [a], environments: { env-1: { engine: { type: command, run: ["true"] } } } }
  billing: { components: [a], environments: { env-1: { engine: { type: command, run: ["true"] } } } }
`;

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
  ran.length = 0;
  scopeCalls.length = 0;
});

async function bot() {
  const t = await createTestBot({ yaml: YAML });
  t.opsbot.registry.register(ship as unknown as CommandSpec);
  stop = t.stop;
  return t;
}

describe('the bot checks the scoped product', () => {
  it('runs on the scoped product, refuses another one naming it', async () => {
    const t = await bot();
    expect(await t.say('/ship demo env-1', { from: 'alice' })).toEqual(['shipped demo']);
    const [out] = await t.say('/ship billing env-1', { from: 'alice' });
    expect(out).toContain('/ship on product billing needs one of the roles: deployer, deployer:billing. Your roles: deployer:demo');
    expect(ran).toEqual(['demo env-1']);
  });
  it('refuses before the confirmation card, and checks again when a confirmed command comes back', async () => {
    const t = await bot();
    const [ask] = await t.say('/ship demo prod', { from: 'alice' });
    expect(ask).toContain('/confirm');
    const [no] = await t.say('/ship billing prod', { from: 'alice' });
    expect(no).toContain('on product billing');
    expect(no).not.toContain('/confirm');
    const id = /\/confirm ([\w-]+)/.exec(ask!)?.[1];
    await t.say(`/confirm ${id}`, { from: 'alice' });
    expect(ran).toEqual(['demo prod']);
    expect(scopeCalls).toEqual(['demo', 'billing', 'demo']);
  });
  it('no product (scope → undefined): a scoped holder may go on', async () => {
    const t = await bot();
    expect(await t.say('/ship none env-1', { from: 'alice' })).toEqual(['shipped none']);
  });
  it('people without any form of the role are refused before args and scope, as before', async () => {
    const t = await bot();
    const [out] = await t.say('/ship demo env-1', { from: 'bob' });
    expect(out).toContain('/ship needs one of the roles: deployer');
    const [bad] = await t.say('/ship', { from: 'bob' });
    expect(bad).toContain('needs one of the roles');
    expect(scopeCalls).toEqual([]);
  });
  it('bad arguments from a scoped holder get the usage card, scope not called', async () => {
    const t = await bot();
    const [out] = await t.say('/ship', { from: 'alice' });
    expect(out).toContain('Bad arguments for /ship');
    expect(scopeCalls).toEqual([]);
  });
});
