/**
 * Commands are data (Hubot CommandBus, Errbot): name, aliases, positional params, a zod args schema,
 * permission, confirmation policy, examples, the services it `uses` and a handler. Help and usage
 * errors come from the spec. A command never checks whether a service exists: it names the keys it
 * uses, and the dispatcher hands them over typed, or answers "not configured" when a feature is off.
 */
import type { z } from 'zod';
import type { Config } from '../config/schema.ts';
import type { Resolved, Uses } from './feature.ts';
import type { Locale } from './i18n.ts';
import type { IncomingMessage, Reply } from './message.ts';
import type { ParsedCommand } from './parse.ts';

/**
 * `anyone`, or any of these roles (from `people.*.roles`); the role `admin` passes every check.
 * With `scope` the command acts on one product, and a role also counts when held for that product only,
 * as `<role>:<product>` (`deployer:demo`); see permissions.ts `canOn`.
 */
export type Permission<A = unknown, C = CommandContext<A>> = 'anyone' | RolePermission<A, C>;

export interface RolePermission<A = unknown, C = CommandContext<A>> {
  roles: string[];
  /**
   * The product the command acts on, from its validated args (or, for a task id, from the task). Runs
   * after args validation and before confirmation. `undefined`: no product is involved (an unknown
   * task id the handler then reports): holding the role globally or for any product suffices.
   * Method syntax on purpose: a spec's scope over its own args stays assignable to `Permission<unknown>`.
   */
  scope?(args: A, ctx: C): string | undefined | Promise<string | undefined>;
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
  config: Config;
  clock: () => number;
  locale: Locale;
  t(key: string, vars?: Record<string, string | number>): string;
  /** Send a further reply to the message's chat (progress, a second card). */
  reply(r: Reply, opts?: { cardKey?: string }): Promise<void>;
  /** Run a command text as this sender, already confirmed (what /confirm does with a proposal). */
  runConfirmed(text: string): Promise<Reply[]>;
}

/** The context a command's handlers get: the common part plus the services it `uses`. */
export type ContextOf<S extends z.ZodObject, U extends Uses> = CommandContext<z.infer<S>> & Resolved<U>;

export interface CommandSpec<S extends z.ZodObject = z.ZodObject, U extends Uses = Uses> {
  name: string;
  aliases?: string[];
  summary: Record<Locale, string>;
  /** Positional arg names in order; a last name ending in '...' takes the rest as a string array. */
  params: string[];
  /** Positionals by name, flags (`--dry-run` → dryRun: true, `--to x` → to: 'x') and `pairs` (key=value). */
  args: S;
  examples: string[];
  /** Services the handlers use, by key (`{ deploys: DEPLOYS }` → `ctx.deploys`). */
  uses?: U;
  /**
   * Another spec of the same name that takes over for some forms of the command line (a bare `/cancel`
   * cancels the pending confirmation; `/cancel 12` a task). Not listed in /help on its own.
   */
  when?(parsed: ParsedCommand): boolean;
  permission: Permission<z.infer<S>, ContextOf<S, U>>;
  /** When true for these args, the sender gets a confirmation card before `run`. */
  confirm?: (args: z.infer<S>, ctx: ContextOf<S, U>) => boolean | Promise<boolean>;
  /** Flags that take a value (`--to v1.0.0`); all others are booleans. */
  valueFlags?: string[];
  run(ctx: ContextOf<S, U>): Promise<Reply | void>;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a command that uses no service
export function defineCommand<S extends z.ZodObject, U extends Uses = {}>(spec: CommandSpec<S, U>): CommandSpec<S, U> {
  return spec;
}
