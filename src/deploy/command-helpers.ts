/** Small helpers shared by the deploy commands (commands/deploy.ts, rollback.ts, …). */
import type { CommandContext } from '../core/define-command.ts';
import type { DeployService } from './service.ts';

export { DEPLOYS } from './service.ts';

/** Who asks: the configured person, else the platform identity. */
export function requester(ctx: CommandContext<unknown>): { id: string; name: string } {
  if (ctx.person) return { id: ctx.person.id, name: ctx.person.name };
  const s = ctx.message.sender;
  return { id: `${s.platform}:${s.id}`, name: s.name ?? s.id };
}

/** Task ids are typed `12` or `#12`. */
export const TASK_ID_RE = /^#?\d+$/;

/** Whether an environment asks for confirmation (protected: true); an unknown name throws its user-facing error. */
export function isProtected(deploys: DeployService, product: string, env: string): boolean {
  return deploys.model.environment(product, env).protected === true;
}
