/**
 * The transport seams (Bolt's Receiver, octokit's createMiddleware, grammY's ReqResHandler):
 * adapters and webhook sources get a RawRequest, never a Koa ctx, and answer an HttpAnswer.
 */
import type { OutgoingMessage, Platform } from '../core/message.ts';

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

/** A chat platform at the edge. */
export interface ChatAdapter {
  readonly platform: Platform;
  /** Address prefixes this adapter can deliver to (`dingtalk`, `wecom`, `wecom-group`, `wecom-webhook`, `console`). */
  readonly addressPrefixes: readonly string[];
  routes(): WebhookRoute[];
  /** Connect long-lived transports (DingTalk Stream, WeCom long connection, stdin). */
  start(): Promise<void>;
  stop(): Promise<void>;
  send(msg: OutgoingMessage): Promise<void>;
}
