/**
 * The one neutral entry point for chat (Probot's receive, Bolt's processEvent, grammY's handleUpdate):
 * dedupe → parse → registry lookup → permission → args validation → confirmation → run, inside an
 * error boundary. Adapters call `handleMessage`; replies go out through the Outbox to the same chat.
 */
import { randomBytes } from 'node:crypto';
import { cardToText } from '../../cards/model.ts';
import { confirmCard, deniedCard, internalErrorCard, noticeCard } from '../../cards/core.ts';
import { unknownCommandCard, usageCard } from '../../cards/help.ts';
import './core-messages.ts';
import type { Confirmations } from './confirm.ts';
import type { CommandContext, CommandSpec } from './define-command.ts';
import { BotError } from './errors.ts';
import { t as translate } from './i18n.ts';
import { cardReply, text, type IncomingMessage, type Reply } from './message.ts';
import { parseCommand, ParseError } from './parse.ts';
import { can, canOn, resolvePerson, rolesFor } from './permissions.ts';
import { CommandRegistry, UsageProblem } from './registry.ts';
import { commandInfo } from './command-info.ts';
import type { Services } from './services.ts';
import type { AuditEntry, Collection } from '../store/types.ts';

/** A recorded chat message: kept (without the body once answered) for dedupe. */
interface SeenMessage {
  at: number;
  status: 'pending' | 'done' | 'expired';
  msg?: IncomingMessage;
  /** The replica answering it (several replicas on one database). */
  owner?: string;
  /** When its replica started answering it (the takeover grace counts from here). */
  startedAt?: number;
}

export interface BotOptions {
  services: Services;
  registry: CommandRegistry;
  confirmations: Confirmations;
  confirmTtlMs: number;
  /**
   * Several replicas share the store (postgres): another replica's pending message is taken over only
   * once it is this old (its replica is presumed dead), claimed atomically so one replica answers it.
   */
  takeoverAfterMs?: number;
}

export class Bot {
  private readonly seen: Collection<SeenMessage>;
  private readonly inflight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  readonly services: Services;
  /** This process's identity on pending messages. */
  private readonly replicaId = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly opts: BotOptions) {
    this.services = opts.services;
    this.seen = opts.services.store.collection('chat-messages', { tier: 'bulk', maxItems: 5000 });
  }

  /**
   * Record the message (deduplicated on platform + message id: platforms retry, and Stream acks can be
   * lost) and start processing it. Resolves once recorded, before the command runs.
   */
  async handleMessage(msg: IncomingMessage): Promise<{ duplicate: boolean }> {
    const key = `${msg.platform}:${msg.id}`;
    const fresh = await this.seen.insertIfAbsent(key, { at: msg.receivedAt, status: 'pending', msg, owner: this.replicaId });
    if (!fresh) return { duplicate: true };
    this.schedule(key, msg);
    return { duplicate: false };
  }

  /**
   * Messages acknowledged to the platform but never answered (the process died in between) are run
   * after a restart, if recent enough that the sender still expects an answer; older ones are dropped
   * (a deploy typed an hour ago should not start by surprise).
   */
  async recover(maxAgeMs = 10 * 60_000): Promise<number> {
    const now = this.services.clock();
    const pending = await this.seen.list({ filter: (m) => m.status === 'pending' && m.msg !== undefined });
    let n = 0;
    const graceMs = this.opts.takeoverAfterMs ?? 0;
    for (const m of pending) {
      const key = `${m.msg!.platform}:${m.msg!.id}`;
      if (m.owner === this.replicaId) continue; // being answered here
      if (now - m.at > maxAgeMs) {
        await this.seen.update(key, (cur) => (cur?.status === 'pending' ? { at: cur.at, status: 'expired' } : cur));
        continue;
      }
      // Shared store: a live replica may be answering it right now; wait until it must be dead.
      if (now - (m.startedAt ?? m.at) < graceMs) continue;
      const claimed = await this.seen.update(key, (cur) =>
        cur?.status === 'pending' && cur.owner === m.owner && cur.startedAt === m.startedAt ? { ...cur, owner: this.replicaId, startedAt: now } : cur,
      );
      if (claimed?.owner !== this.replicaId) continue;
      n++;
      this.schedule(key, m.msg!);
    }
    return n;
  }

  /**
   * Shared store: right before answering, confirm this replica still owns the message and restart its
   * grace (a long queue in this chat must not let another replica answer it too). Embedded: always.
   */
  private async stillMine(key: string): Promise<boolean> {
    if (this.opts.takeoverAfterMs === undefined) return true;
    const now = this.services.clock();
    const cur = await this.seen.update(key, (c) => (c?.status === 'pending' && c.owner === this.replicaId ? { ...c, startedAt: now } : c));
    return cur?.owner === this.replicaId && cur.status === 'pending';
  }

  private schedule(key: string, msg: IncomingMessage): void {
    // One chat's messages are answered in the order they arrived; different chats run concurrently.
    const prev = this.chains.get(msg.chat) ?? Promise.resolve();
    const p: Promise<void> = prev
      .then(() => this.stillMine(key))
      .then((mine) => (mine ? this.process(msg) : undefined))
      .then(() => this.seen.update(key, (cur) => (cur ? { at: cur.at, status: 'done' } : cur)))
      .then(() => undefined, (err: unknown) => this.services.log.error({ err }, 'could not mark message done'))
      .finally(() => {
      this.inflight.delete(p);
      if (this.chains.get(msg.chat) === p) this.chains.delete(msg.chat);
    });
    this.chains.set(msg.chat, p);
    this.inflight.add(p);
  }

  /** Resolves when every message being processed has been answered. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async process(msg: IncomingMessage): Promise<void> {
    let replies: Reply[];
    try {
      replies = await this.dispatch(msg);
    } catch (err) {
      this.services.log.error({ err, platform: msg.platform, msgId: msg.id }, 'message processing failed');
      return;
    }
    for (const reply of replies) {
      await this.services.outbox.send({ to: msg.chat, reply, inReplyTo: msg });
    }
  }

  /** Run one message to its replies, never throwing (the error boundary). */
  async dispatch(msg: IncomingMessage, options: { confirmed?: boolean } = {}): Promise<Reply[]> {
    const { services } = this;
    const locale = services.locale;
    const t = (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
    const textIn = msg.text.trim();
    const parsed = (() => {
      try {
        return parseCommand(textIn.startsWith('/') || textIn.startsWith('／') ? textIn : `/${textIn}`, (n) => this.opts.registry.valueFlags(n));
      } catch (err) {
        if (err instanceof ParseError) return err;
        throw err;
      }
    })();
    if (!parsed || textIn === '') return [];
    const person = resolvePerson(services.config, msg.sender);
    const audit = (command: string, outcome: AuditEntry['outcome'], detail?: string) =>
      services.store
        .audit({ at: new Date(services.clock()).toISOString(), actor: person?.id ?? `${msg.platform}:${msg.sender.id}`, platform: msg.platform, chat: msg.chat, command, outcome, ...(detail ? { detail } : {}) })
        .catch((err: unknown) => services.log.error({ err }, 'audit write failed'));
    if (parsed instanceof ParseError) {
      return [text(parsed.message)];
    }

    // Built-in confirmation verbs: they act on the pending proposal of this user in this chat.
    if (parsed.name === 'confirm') {
      const r = await this.opts.confirmations.take(msg, parsed.positionals[0]);
      if (!r.ok) {
        const key = r.reason === 'expired' ? 'core.confirm.expired' : r.reason === 'wrong-user' ? 'core.confirm.wrongUser' : 'core.confirm.none';
        return [cardReply(noticeCard(t(key), 'warning'))];
      }
      return this.dispatch({ ...msg, text: r.proposal.text }, { confirmed: true });
    }
    if (parsed.name === 'cancel' && parsed.positionals.length === 0) {
      const had = await this.opts.confirmations.cancel(msg);
      await audit('/cancel', had ? 'cancelled' : 'usage');
      return [cardReply(noticeCard(t(had ? 'core.confirm.cancelled' : 'core.confirm.none'), had ? 'info' : 'warning'))];
    }

    const spec = this.opts.registry.get(parsed.name);
    if (!spec) {
      return [cardReply(unknownCommandCard(parsed.name, this.opts.registry.suggest(parsed.name), t))];
    }
    const commandText = `/${spec.name}${parsed.rest ? ' ' + parsed.rest : ''}`;
    if (!can(person, spec.permission)) {
      await audit(commandText, 'denied');
      const roles = spec.permission === 'anyone' ? '' : spec.permission.roles.join(', ');
      const body = person
        ? t('core.denied.body', { name: spec.name, roles, mine: person.roles.join(', ') || '-' })
        : t('core.denied.unknown', {
            platform: msg.platform,
            id: msg.sender.id,
            example: `<name>: { name: <Name>, ${msg.platform}: "${msg.sender.id}", roles: [${roles.split(', ')[0] ?? 'deployer'}] }`,
          });
      return [cardReply(deniedCard(body, t))];
    }
    let args: Record<string, unknown>;
    try {
      args = this.opts.registry.buildArgs(spec, parsed, t);
    } catch (err) {
      if (err instanceof UsageProblem) {
        await audit(commandText, 'usage', err.message);
        return [cardReply(usageCard(commandInfo(spec, t), err.problems, t))];
      }
      throw err;
    }
    const extra: Reply[] = [];
    const ctx: CommandContext<Record<string, unknown>> = {
      args,
      message: msg,
      ...(person ? { person } : {}),
      services,
      locale,
      t,
      reply: async (r, o) => {
        await services.outbox.send({ to: msg.chat, reply: r, inReplyTo: msg, ...(o?.cardKey ? { cardKey: o.cardKey } : {}) });
      },
    };
    try {
      // Product-scoped permission (`deployer:demo`): checked on the product the command acts on, before
      // any confirmation card, and again when a confirmed command comes back through here.
      const perm = spec.permission;
      const product = perm !== 'anyone' && perm.scope ? await perm.scope(args, ctx) : undefined;
      if (product !== undefined && !canOn(person, perm, product)) {
        await audit(commandText, 'denied', `product ${product}`);
        const vars = { name: spec.name, product, roles: rolesFor(perm, product).join(', '), mine: person?.roles.join(', ') || '-' };
        return [cardReply(deniedCard(t('core.denied.product', vars), t))];
      }
      if (!options.confirmed && spec.confirm && (await (spec as CommandSpec).confirm!(args as never, ctx as never))) {
        const p = await this.opts.confirmations.propose(msg, commandText);
        await audit(commandText, 'proposed');
        return [cardReply(confirmCard({ id: p.id, text: commandText, ttlMinutes: Math.round(this.opts.confirmTtlMs / 60000) }, t))];
      }
      const reply = await spec.run(ctx as never);
      await audit(commandText, 'ok');
      if (reply) extra.push(reply);
      return extra;
    } catch (err) {
      if (err instanceof BotError && err.userMessage) {
        await audit(commandText, 'error', err.code);
        return [cardReply(noticeCard(err.userMessage, 'warning'))];
      }
      const errorId = randomBytes(4).toString('hex');
      services.log.error({ err, errorId, platform: msg.platform, msgId: msg.id, command: spec.name }, 'command failed');
      await audit(commandText, 'error', `internal ${errorId}`);
      return [cardReply(internalErrorCard(errorId, t))];
    }
  }
}

/** Text of replies, for logs and tests. */
export const replyToText = (r: Reply): string => (r.kind === 'text' ? r.text : cardToText(r.card));
