/**
 * A command's context as the dispatcher builds it (src/core/dispatch.ts), for tests that run one spec
 * directly: the common part plus the services the spec `uses`, resolved by the same `resolveUses`, so
 * a service that is not there answers "not configured" exactly as in the bot.
 */
import type { Config } from '../../src/config/schema.ts';
import type { CommandSpec, PersonRef } from '../../src/core/define-command.ts';
import { resolveUses } from '../../src/core/dispatch.ts';
import type { ServiceLookup } from '../../src/core/feature.ts';
import { t as translate, type Locale } from '../../src/core/i18n.ts';
import type { IncomingMessage, Reply } from '../../src/core/message.ts';

export interface ContextInput<A> {
  args: A;
  message: IncomingMessage;
  person?: PersonRef | undefined;
  locale: Locale;
  config: Config;
  clock?: () => number;
  services: ServiceLookup;
}

/** Run `spec` with this input (throws what the command or the service resolution throws). */
export async function runCommand<A>(spec: { uses?: CommandSpec['uses'] | undefined; run(ctx: never): Promise<Reply | void> }, o: ContextInput<A>): Promise<Reply | void> {
  const t = (k: string, v?: Record<string, string | number>) => translate(o.locale, k, v);
  const ctx = {
    args: o.args,
    message: o.message,
    ...(o.person ? { person: o.person } : {}),
    config: o.config,
    clock: o.clock ?? Date.now,
    locale: o.locale,
    t,
    reply: async () => {},
    runConfirmed: async () => [],
    ...resolveUses(spec, o.services, t),
  };
  return spec.run(ctx as never);
}
