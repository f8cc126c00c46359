/** Small helpers shared by the deploy commands (commands/deploy.ts, rollback.ts, …). */
import type { CommandContext } from '../core/define-command.ts';
import { UserFacingError } from '../core/errors.ts';
import type { DeployService } from './service.ts';

/** The deploy service, or a clear error when the lead did not enable it. */
export function deploysOf(ctx: CommandContext<unknown>): DeployService {
  const d = ctx.services.deploys;
  if (!d) throw new UserFacingError('E_CONFIG', ctx.t('deploy.error.notConfigured'));
  return d;
}

/** Who asks: the configured person, else the platform identity. */
export function requester(ctx: CommandContext<unknown>): { id: string; name: string } {
  if (ctx.person) return { id: ctx.person.id, name: ctx.person.name };
  const s = ctx.message.sender;
  return { id: `${s.platform}:${s.id}`, name: s.name ?? s.id };
}

/** Task ids are typed `12` or `#12`. */
export const TASK_ID_RE = /^#?\d+$/;

/** Whether an environment asks for confirmation (protected: true). Unknown names are reported by run(). */
export function isProtected(ctx: CommandContext<unknown>, product: string, env: string): boolean {
  const d = ctx.services.deploys;
  if (!d) return false;
  return d.model.environment(product, env).protected === true;
}
