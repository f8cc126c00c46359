/**
 * The transport seams (Bolt's Receiver, octokit's createMiddleware, grammY's ReqResHandler):
 * adapters and webhook sources get a RawRequest, never a Koa ctx, and answer an HttpAnswer.
 * A chat adapter also owns what is platform knowledge: its address prefixes and how people are known
 * on it (`identity`), so core, Sentry, GitLab and deploys never switch on a platform name.
 */
import type { Config, Person } from '../config/schema.ts';
import type { ChatAddress, OutgoingMessage, Platform, Sender } from './message.ts';

export interface RawRequest {
  method: string;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  query: URLSearchParams;
  /** Path parameters (`:token`). */
  params: Record<string, string>;
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
  /** Receive time, ms since epoch. */
  receivedAt: number;
}

export interface HttpAnswer {
  status: number;
  body?: string | Buffer | object;
  contentType?: string;
  /** Extra response headers (the web console: CSP, Set-Cookie, Location, Cache-Control). */
  headers?: Record<string, string | string[]>;
}

/**
 * A webhook endpoint an adapter or source mounts. `handle` throws VerificationError (401),
 * BadRequestError (400) or UnsupportedMediaError (415); the server maps them.
 */
export interface WebhookRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: RawRequest): Promise<HttpAnswer>;
}

/** How people are known on one platform: a sender's person, a person's @mention id. */
export interface PlatformIdentity {
  /** The platform whose senders this resolves (`sender.platform`). */
  readonly platform: Platform;
  /** Address prefixes whose chats this platform's mentions apply to (`dingtalk`, `wecom-group`, …). */
  readonly addressPrefixes: readonly string[];
  /** How its addresses are written, for config errors (`"dingtalk:<openConversationId>"`). */
  readonly addressForms: readonly string[];
  /** The configured person a sender of this platform is (id from `people`), if any. */
  personOf(sender: Sender, config: Config): string | undefined;
  /**
   * The mention for a configured person in this platform's chats: the platform's user id, or
   * `mobileMention(person.mobile)` when the platform can @ by phone number and no id is configured;
   * undefined: cannot.
   */
  mentionOf(personId: string, person: Person): string | undefined;
  /**
   * The address of a direct (one-to-one) chat between the bot and this person, when the platform has one
   * and it is configured (an on-call page goes there as well as to the group); undefined: none.
   */
  directChatOf?(person: Person, config: Config): ChatAddress | undefined;
}

/**
 * How a phone-number mention travels in `OutgoingMessage.mentions`: `tel:<mobile>` (people.<id>.mobile).
 * Platform ids never start with `tel:`; an adapter that cannot @ by phone reports the person as not
 * notified instead of dropping them silently.
 */
export const MOBILE_MENTION_PREFIX = 'tel:';
export const mobileMention = (mobile: string): string => `${MOBILE_MENTION_PREFIX}${mobile}`;
/** The phone number of a `tel:` mention, else undefined (a platform user id). */
export const mobileOfMention = (mention: string): string | undefined =>
  mention.startsWith(MOBILE_MENTION_PREFIX) ? mention.slice(MOBILE_MENTION_PREFIX.length) : undefined;

/** A chat platform at the edge. */
export interface ChatAdapter {
  readonly platform: Platform;
  /** Address prefixes this adapter can deliver to (`dingtalk`, `wecom`, `wecom-group`, `wecom-webhook`, `console`). */
  readonly addressPrefixes: readonly string[];
  routes(): WebhookRoute[];
  /**
   * Whether the adapter holds a long connection (DingTalk Stream, WeCom aibot websocket) that only one
   * replica may hold at a time; the app then starts it under leader election.
   */
  readonly holdsConnection?: boolean;
  /** Connect long-lived transports (DingTalk Stream, WeCom long connection, stdin). */
  start(): Promise<void>;
  stop(): Promise<void>;
  send(msg: OutgoingMessage): Promise<void>;
}
