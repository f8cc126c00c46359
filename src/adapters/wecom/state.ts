/**
 * Small keyed state the adapter keeps: long button commands behind short keys, and which card
 * (cardKey) a task_id belongs to plus its latest update handle. Backed by the Store when given
 * (survives restarts, so a ResponseCode stays usable for its 72 h), else by in-memory maps.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/types.ts';

/** Minimal keyed get/put/delete over a Store collection or a Map. */
export interface Kv<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

function kv<T>(store: Store | undefined, name: string, maxItems: number, maxAgeMs: number): Kv<T> {
  if (store) {
    const c = store.collection<T>(name, { tier: 'bulk', maxItems, maxAgeMs });
    return { get: (k) => c.get(k), put: (k, v) => c.put(k, v), delete: async (k) => void (await c.delete(k)) };
  }
  const m = new Map<string, T>();
  return {
    get: async (k) => m.get(k),
    put: async (k, v) => {
      m.delete(k);
      m.set(k, v);
      if (m.size > maxItems) m.delete(m.keys().next().value as string);
    },
    delete: async (k) => void m.delete(k),
  };
}

/** A card we sent: where, its task_id, and the latest unused app ResponseCode (single use, 72 h). */
export interface SentCard {
  to: string;
  cardKey?: string;
  taskId: string;
  responseCode?: string;
  responseCodeAt?: number;
}

const DAY = 24 * 3600_000;
/** ResponseCode lifetime (chat-platforms.md §7.2); keep a margin. */
export const RESPONSE_CODE_TTL_MS = 72 * 3600_000 - 10 * 60_000;

/** Button key prefix for an inline command and for a command stored under a short id. */
const INLINE = 'c:';
const STORED = 'k:';
/** WeCom button key ≤ 1024 bytes (§7.2); stay well below. */
export const MAX_INLINE_KEY_BYTES = 900;

export class WecomState {
  readonly commands: Kv<{ command: string }>;
  readonly cardsByTask: Kv<SentCard>;
  readonly taskByCardKey: Kv<{ taskId: string }>;

  constructor(store?: Store) {
    this.commands = kv(store, 'wecom-button-commands', 20_000, 30 * DAY);
    this.cardsByTask = kv(store, 'wecom-cards', 20_000, 30 * DAY);
    this.taskByCardKey = kv(store, 'wecom-card-keys', 20_000, 30 * DAY);
  }

  /** The button key for a command: inline when short, else a stored short id. */
  async keyFor(command: string, forceStored = false): Promise<string> {
    if (!forceStored && Buffer.byteLength(INLINE + command, 'utf8') <= MAX_INLINE_KEY_BYTES) return INLINE + command;
    const id = randomBytes(9).toString('base64url');
    await this.commands.put(id, { command });
    return STORED + id;
  }

  /** The command a clicked key stands for; undefined for keys we did not make. */
  async commandFor(key: string): Promise<string | undefined> {
    if (key.startsWith(INLINE)) return key.slice(INLINE.length);
    if (key.startsWith(STORED)) return (await this.commands.get(key.slice(STORED.length)))?.command;
    return undefined;
  }

  async rememberCard(card: SentCard): Promise<void> {
    await this.cardsByTask.put(card.taskId, card);
    if (card.cardKey) await this.taskByCardKey.put(`${card.to}|${card.cardKey}`, { taskId: card.taskId });
  }

  async cardFor(to: string, cardKey: string): Promise<SentCard | undefined> {
    const ref = await this.taskByCardKey.get(`${to}|${cardKey}`);
    return ref ? this.cardsByTask.get(ref.taskId) : undefined;
  }

  /** Record a fresh ResponseCode (from message/send or a click) for the card with this task_id. */
  async setResponseCode(taskId: string, code: string, at: number): Promise<SentCard | undefined> {
    const card = await this.cardsByTask.get(taskId);
    if (!card) return undefined;
    const next = { ...card, responseCode: code, responseCodeAt: at };
    await this.cardsByTask.put(taskId, next);
    return next;
  }

  /** Take (and clear) a usable ResponseCode: single use. */
  async takeResponseCode(taskId: string, now: number): Promise<string | undefined> {
    const card = await this.cardsByTask.get(taskId);
    if (!card?.responseCode || now - (card.responseCodeAt ?? 0) > RESPONSE_CODE_TTL_MS) return undefined;
    const { responseCode, responseCodeAt: _t, ...rest } = card;
    await this.cardsByTask.put(taskId, rest);
    return responseCode;
  }
}

/** A task_id: unique, [0-9A-Za-z_-@], ≤128 bytes (§7.2). */
export function newTaskId(): string {
  return `opsbot-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** A small recent-ids set (WeCom retries up to 4 times, §7.1); the bot dedupes durably on top. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 2000) {}
  /** True when seen before; records it otherwise. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return false;
  }
  forget(id: string): void {
    this.ids.delete(id);
  }
}
