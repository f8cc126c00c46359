/**
 * The freeze gate of /deploy and /rollback (issue 18 §4), in two steps around the dispatcher's
 * confirmation (core/confirm.ts, the same path a protected environment takes):
 * - `askFreezeOverride` (the command's `confirm`): a frozen target is refused with reason, who and
 *   until when; an admin's `--override-freeze` asks for a confirmation whose card shows the flag, after
 *   a warning card that says it is a freeze override.
 * - `enforceFreeze` (start of `run`, also after /confirm): refuses again if still frozen and not
 *   overridden by an admin, and writes the override to the audit log.
 */
import { noticeCard } from '../../cards/core.ts';
import type { CommandContext } from '../core/define-command.ts';
import { UserFacingError } from '../core/errors.ts';
import { cardReply } from '../core/message.ts';
import { formatLocal, DEFAULT_ZONE } from '../oncall/zoned-time.ts';
import type { Freeze, FreezeService } from './service.ts';

export const OVERRIDE_FLAG = '--override-freeze';

export interface GateInput {
  product: string;
  env: string;
  kind: 'deploy' | 'rollback';
  /** The command carried `--override-freeze`. */
  override: boolean | undefined;
}

type Ctx = CommandContext<unknown> & { freezes: FreezeService };

const isAdmin = (ctx: Ctx) => ctx.person?.roles.includes('admin') === true;

export function describeFreeze(f: Freeze, t: Ctx['t']): string {
  return t('freeze.describe', { target: f.env ? `${f.product} ${f.env}` : f.product, by: f.by === 'config' ? t('freeze.byConfig') : f.by, until: formatLocal(DEFAULT_ZONE, f.until), reason: f.reason });
}

function refuse(ctx: Ctx, f: Freeze, o: GateInput): never {
  const key = o.override ? 'freeze.gate.adminOnly' : 'freeze.gate.refused';
  throw new UserFacingError('E_CONFLICT', ctx.t(key, { kind: ctx.t(`freeze.kind.${o.kind}`), freeze: describeFreeze(f, ctx.t), flag: OVERRIDE_FLAG }));
}

/** For `confirm`: true when an admin's override needs confirming; throws the refusal otherwise. */
export async function askFreezeOverride(ctx: Ctx, o: GateInput): Promise<boolean> {
  const f = await ctx.freezes.blocking({ product: o.product, env: o.env, kind: o.kind, at: ctx.clock() });
  if (!f) return false;
  if (!o.override || !isAdmin(ctx)) refuse(ctx, f, o);
  await ctx.reply(cardReply(noticeCard(ctx.t('freeze.gate.overrideTitle'), 'danger', ctx.t('freeze.gate.overrideBody', { freeze: describeFreeze(f, ctx.t) }))));
  return true;
}

/**
 * For `run`: throws while frozen unless an admin overrides, and audits the override. True when an
 * override was applied: the task carries it, so the deploy service's start gate lets it through.
 */
export async function enforceFreeze(ctx: Ctx, o: GateInput): Promise<boolean> {
  return pass(ctx, await ctx.freezes.blocking({ product: o.product, env: o.env, kind: o.kind, at: ctx.clock() }), o);
}

/**
 * The gate for a run that may reach several environments, or none that the config names (a retried
 * GitLab pipeline): held by a freeze on any of `envs`; with no `envs`, by a product-wide freeze only,
 * since a freeze on one environment says nothing about a pipeline that deploys none of ours.
 */
export async function enforceFreezeOnAny(ctx: Ctx, o: Omit<GateInput, 'env'> & { envs: readonly string[] }): Promise<boolean> {
  const at = ctx.clock();
  const held = o.envs.length
    ? (await Promise.all(o.envs.map((env) => ctx.freezes.blocking({ product: o.product, env, kind: o.kind, at })))).find((f) => f !== undefined)
    : (await ctx.freezes.active({ product: o.product, at })).find((f) => f.env === undefined && (o.kind === 'deploy' || !f.allowRollback));
  return pass(ctx, held, { ...o, env: o.envs[0] ?? '*' });
}

async function pass(ctx: Ctx, f: Freeze | undefined, o: GateInput): Promise<boolean> {
  if (!f) return false;
  if (!o.override || !isAdmin(ctx)) refuse(ctx, f, o);
  const s = ctx.message.sender;
  await ctx.freezes.recordOverride({ freeze: f, command: ctx.message.text, actor: ctx.person?.id ?? `${s.platform}:${s.id}`, platform: ctx.message.platform, chat: ctx.message.chat });
  return true;
}
