/**
 * Commands are data (Hubot CommandBus, Errbot): name, aliases, positional params, a zod args schema,
 * permission, confirmation policy, examples and a handler. Help and usage errors come from the spec.
 */
import type { z } from 'zod';
import type { Locale } from './i18n.ts';
import type { IncomingMessage, Reply } from './message.ts';
import type { Services } from './services.ts';

/**
 * `anyone`, or any of these roles (from `people.*.roles`); the role `admin` passes every check.
 * With `scope` the command acts on one product, and a role also counts when held for that product only,
 * as `<role>:<product>` (`deployer:demo`); see permissions.ts `canOn`.
 */
export type Permission<A = unknown> = 'anyone' | RolePermission<A>;

export interface RolePermission<A = unknown> {
  roles: string[];
  /**
   * The product the command acts on, from its validated args (or, for a task id, from the task). Runs
   * after args validation and before confirmation. `undefined`: no product is involved (a bare `/cancel`,
   * an unknown task id the handler then reports): holding the role globally or for any product suffices.
   * Method syntax on purpose: a spec's scope over its own args stays assignable to `Permission<unknown>`.
   */
  scope?(args: A, ctx: CommandContext<A>): string | undefined | Promise<string | undefined>;
}

export interface PersonRef {
  id: string;
  name: string;
  roles: string[];
}

export interface CommandContext<A> {
  args: A;
  message: IncomingMessage;
  /** The sender as a configured person; undefined for an unknown sender (a viewer). */
  person?: PersonRef;
  services: Services;
  locale: Locale;
  t(key: string, vars?: Record<string, string | number>): string;
  /** Send a further reply to the message's chat (progress, a second card). */
  reply(r: Reply, opts?: { cardKey?: string }): Promise<void>;
}

export interface CommandSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  aliases?: string[];
  summary: Record<Locale, string>;
  /** Positional arg names in order; a last name ending in '...' takes the rest as a string array. */
  params: string[];
  /** Positionals by name, flags (`--dry-run` → dryRun: true, `--to x` → to: 'x') and `pairs` (key=value). */
  args: S;
  examples: string[];
  permission: Permission<z.infer<S>>;
  /** When true for these args, the sender gets a confirmation card before `run`. */
  confirm?: (args: z.infer<S>, ctx: CommandContext<z.infer<S>>) => boolean | Promise<boolean>;
  /** Flags that take a value (`--to v1.0.0`); all others are booleans. */
  valueFlags?: string[];
  run(ctx: CommandContext<z.infer<S>>): Promise<Reply | void>;
}

export function defineCommand<S extends z.ZodObject>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}
