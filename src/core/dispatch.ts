/**
 * One message to its replies, as small steps inside one error boundary (grammY's middlewares in an
 * `errorBoundary`): parse → resolve → authorize → validate args → scope → confirm → run, each step
 * answering for itself when it stops the message. `/confirm` and a bare `/cancel` are ordinary commands
 * (commands/confirm.ts, commands/cancel-confirmation.ts); nothing here knows a command by name.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { confirmCard, deniedCard, internalErrorCard, noticeCard } from '../../cards/core.ts';
import { unknownCommandCard, usageCard } from '../../cards/help.ts';
import type { Config } from '../config/schema.ts';
import type { AuditEntry, Store } from '../store/types.ts';
import { commandInfo } from './command-info.ts';
import type { Confirmations } from './confirm.ts';
import type { CommandContext, CommandSpec, PersonRef } from './define-command.ts';
import { BotError, UserFacingError } from './errors.ts';
import type { ServiceLookup } from './feature.ts';
import { t as translate, type Locale } from './i18n.ts';
import { cardReply, text, type IncomingMessage, type Reply } from './message.ts';
import { parseCommand, ParseError, type ParsedCommand } from './parse.ts';
import type { People } from './people.ts';
import { can, canOn, rolesFor } from './permissions.ts';
import { type CommandRegistry, UsageProblem } from './registry.ts';
import type { Outbox } from './services.ts';

export interface DispatcherDeps {
  config: Config;
  store: Store;
  log: Logger;
  outbox: Outbox;
  locale: Locale;
  clock: () => number;
  registry: CommandRegistry;
  services: ServiceLookup;
  people: People;
  confirmations: Pick<Confirmations, 'propose'>;
  confirmTtlMs: number;
  /** Every command's outcome, by command name (metrics: `opsbot_commands_total`); `unknown` for no such command. */
  onCommand?: ((command: string, outcome: AuditEntry['outcome'] | 'unknown') => void) | undefined;
}

/** What the steps share for one message. */
interface Turn {
  msg: IncomingMessage;
  person: PersonRef | undefined;
  /** The resolved command's name, once known (the metric's bounded label; the audit keeps the text). */
  name?: string;
  t: CommandContext<unknown>['t'];
  audit(command: string, outcome: AuditEntry['outcome'], detail?: string): Promise<void>;
}

/** A step's early answer. */
class Answer {
  constructor(readonly replies: Reply[]) {}
}

export class Dispatcher {
  constructor(private readonly d: DispatcherDeps) {}

  /** Run one message to its replies, never throwing (the error boundary). */
  async dispatch(msg: IncomingMessage, options: { confirmed?: boolean } = {}): Promise<Reply[]> {
    const textIn = msg.text.trim();
    if (textIn === '') return [];
    const turn = this.turn(msg);
    let parsed: ParsedCommand | null;
    try {
      parsed = parseCommand(textIn.startsWith('/') || textIn.startsWith('／') ? textIn : `/${textIn}`, (n) => this.d.registry.valueFlags(n));
    } catch (err) {
      if (err instanceof ParseError) return [text(err.message)];
      throw err;
    }
    if (!parsed) return [];
    const spec = this.d.registry.resolve(parsed);
    if (!spec) {
      this.d.onCommand?.('-', 'unknown');
      return [cardReply(unknownCommandCard(parsed.name, this.d.registry.suggest(parsed.name), turn.t))];
    }
    turn.name = spec.name;
    const commandText = `/${spec.name}${parsed.rest ? ' ' + parsed.rest : ''}`;
    try {
      await this.authorize(turn, spec, commandText);
      const args = await this.validate(turn, spec, parsed, commandText);
      const ctx = this.context(turn, spec, args);
      await this.checkScope(turn, spec, ctx, commandText);
      if (!options.confirmed) await this.confirmIfNeeded(turn, spec, ctx, commandText);
      const reply = await spec.run(ctx as never);
      await turn.audit(commandText, 'ok');
      return reply ? [reply] : [];
    } catch (err) {
      if (err instanceof Answer) return err.replies;
      return this.failed(turn, spec, commandText, err);
    }
  }

  private turn(msg: IncomingMessage): Turn {
    const { store, log, clock, locale } = this.d;
    const person = this.d.people.personOf(msg.sender);
    const turn: Turn = {
      msg,
      person,
      t: (key, vars) => translate(locale, key, vars),
      audit: (command, outcome, detail) => {
        if (turn.name) this.d.onCommand?.(turn.name, outcome);
        return store
          .audit({ at: new Date(clock()).toISOString(), actor: person?.id ?? `${msg.platform}:${msg.sender.id}`, platform: msg.platform, chat: msg.chat, command, outcome, ...(detail ? { detail } : {}) })
          .catch((err: unknown) => log.error({ err }, 'audit write failed'));
      },
    };
    return turn;
  }

  /** Roles, before the args are read (a viewer typing /deploy is told so, not shown a usage card). */
  private async authorize(turn: Turn, spec: CommandSpec, commandText: string): Promise<void> {
    if (can(turn.person, spec.permission)) return;
    const { t, person, msg } = turn;
    await turn.audit(commandText, 'denied');
    const roles = spec.permission === 'anyone' ? '' : spec.permission.roles.join(', ');
    const body = person
      ? t('core.denied.body', { name: spec.name, roles, mine: person.roles.join(', ') || '-' })
      : t('core.denied.unknown', {
          platform: msg.platform,
          id: msg.sender.id,
          example: `<name>: { name: <Name>, ${msg.platform}: "${msg.sender.id}", roles: [${roles.split(', ')[0] ?? 'deployer'}] }`,
        });
    throw new Answer([cardReply(deniedCard(body, t))]);
  }

  private async validate(turn: Turn, spec: CommandSpec, parsed: ParsedCommand, commandText: string): Promise<Record<string, unknown>> {
    try {
      return this.d.registry.buildArgs(spec, parsed, turn.t);
    } catch (err) {
      if (!(err instanceof UsageProblem)) throw err;
      await turn.audit(commandText, 'usage', err.message);
      throw new Answer([cardReply(usageCard(commandInfo(spec, turn.t), err.problems, turn.t))]);
    }
  }

  /** The common context plus the services the spec uses; a missing one means its feature is off. */
  private context(turn: Turn, spec: CommandSpec, args: Record<string, unknown>): CommandContext<unknown> {
    const { msg, person, t } = turn;
    const ctx: Record<string, unknown> = {
      args,
      message: msg,
      ...(person ? { person } : {}),
      config: this.d.config,
      clock: this.d.clock,
      locale: this.d.locale,
      t,
      reply: async (r: Reply, o?: { cardKey?: string }) => {
        await this.d.outbox.send({ to: msg.chat, reply: r, inReplyTo: msg, ...(o?.cardKey ? { cardKey: o.cardKey } : {}) });
      },
      runConfirmed: (commandText: string) => this.dispatch({ ...msg, text: commandText }, { confirmed: true }),
    };
    Object.assign(ctx, resolveUses(spec, this.d.services, t));
    return ctx as unknown as CommandContext<unknown>;
  }

  /**
   * Product-scoped permission (`deployer:demo`): checked on the product the command acts on, before
   * any confirmation card, and again when a confirmed command comes back through here.
   */
  private async checkScope(turn: Turn, spec: CommandSpec, ctx: CommandContext<unknown>, commandText: string): Promise<void> {
    const perm = spec.permission;
    const product = perm !== 'anyone' && perm.scope ? await perm.scope(ctx.args as never, ctx as never) : undefined;
    if (product === undefined || canOn(turn.person, perm, product)) return;
    await turn.audit(commandText, 'denied', `product ${product}`);
    const vars = { name: spec.name, product, roles: rolesFor(perm, product).join(', '), mine: turn.person?.roles.join(', ') || '-' };
    throw new Answer([cardReply(deniedCard(turn.t('core.denied.product', vars), turn.t))]);
  }

  private async confirmIfNeeded(turn: Turn, spec: CommandSpec, ctx: CommandContext<unknown>, commandText: string): Promise<void> {
    if (!spec.confirm || !(await spec.confirm(ctx.args as never, ctx as never))) return;
    const p = await this.d.confirmations.propose(turn.msg, commandText);
    await turn.audit(commandText, 'proposed');
    throw new Answer([cardReply(confirmCard({ id: p.id, text: commandText, ttlMinutes: Math.round(this.d.confirmTtlMs / 60000) }, turn.t))]);
  }

  /** The error boundary: a user-facing error is shown; anything else is logged with an id the user sees. */
  private async failed(turn: Turn, spec: CommandSpec, commandText: string, err: unknown): Promise<Reply[]> {
    if (err instanceof BotError && err.userMessage) {
      await turn.audit(commandText, 'error', err.code);
      return [cardReply(noticeCard(err.userMessage, 'warning'))];
    }
    const errorId = randomBytes(4).toString('hex');
    this.d.log.error({ err, errorId, platform: turn.msg.platform, msgId: turn.msg.id, command: spec.name }, 'command failed');
    await turn.audit(commandText, 'error', `internal ${errorId}`);
    return [cardReply(internalErrorCard(errorId, turn.t))];
  }
}

/**
 * The services a spec `uses`, from what the features provided. A key nobody provided means the
 * feature is switched off: the command answers with the key's "not configured" message.
 */
export function resolveUses(spec: { uses?: CommandSpec['uses'] | undefined }, services: ServiceLookup, t: (key: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(spec.uses ?? {})) {
    const value = services.get(key);
    if (value === undefined) throw new UserFacingError('E_CONFIG', t(key.notConfigured));
    out[name] = value;
  }
  return out;
}
