/**
 * `POST /webhooks/dingtalk` (contract.md): HTTP-mode robot messages and HTTP card callbacks.
 * Verify `timestamp` + `sign` BEFORE parsing (401; a pair already used for another body is 401 too),
 * then validate (400), hand the message to the bot
 * (`onMessage` resolves once it is recorded; the command runs asynchronously) and answer 200 at once.
 */
import { BadRequestError, UnsupportedMediaError } from '../../core/errors.ts';
import type { IncomingMessage } from '../../core/message.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../types.ts';
import type { DingtalkConfig } from './config.ts';
import { cardClickToMessage, isCardCallback, parseCardCallback, parseRobotMessage } from './parse.ts';
import type { SignLedger } from './replay.ts';
import type { DingtalkSender } from './send.ts';
import { verifyDingtalkRequest } from './verify.ts';

export interface HttpRouteDeps {
  config: DingtalkConfig;
  /** Dedupe + hand to the bot (index.ts `deliver`); resolves once the bot recorded the message. */
  deliver(msg: IncomingMessage): Promise<void>;
  sender: DingtalkSender;
  /** Each verified timestamp+sign pair is accepted once (the body is unsigned; replay.ts). */
  signs: SignLedger;
  clock?: () => number;
}

/** The webhook route for HTTP mode (also usable in Stream mode for HTTP card callbacks). */
export function dingtalkWebhookRoute(deps: HttpRouteDeps): WebhookRoute {
  const clock = deps.clock ?? Date.now;
  return {
    method: 'POST',
    path: '/webhooks/dingtalk',
    async handle(req: RawRequest): Promise<HttpAnswer> {
      verifyDingtalkRequest(req.headers, deps.config.clientSecret, clock());
      // verify passed, so both headers are present. The sign covers only the timestamp (§3): a pair
      // seen before with another body is a replay, refused before anything is parsed.
      await deps.signs.accept(req.headers['timestamp'] as string, req.headers['sign'] as string, req.rawBody);
      const ct = req.headers['content-type'] ?? 'application/json';
      if (!/json/i.test(ct)) throw new UnsupportedMediaError(`expected application/json, got ${ct}`);
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody.toString('utf8'));
      } catch {
        throw new BadRequestError('body is not JSON');
      }
      let msg: IncomingMessage;
      if (isCardCallback(body)) {
        const click = parseCardCallback(body);
        const rec = await deps.sender.cardByTrack(click.outTrackId);
        msg = cardClickToMessage(click, { ...(rec ? { chat: rec.chat, chatType: rec.chatType } : {}), receivedAt: req.receivedAt });
      } else {
        msg = parseRobotMessage(body, req.receivedAt);
      }
      await deps.deliver(msg);
      return { status: 200, body: {} };
    },
  };
}
