/**
 * `chat.dingtalk` config section (contract.md "Config keys"). Strict so a typo in a key is an error.
 * Every DingTalk base URL is overridable so tests (and private deployments) can point at local fakes
 * (chat-platforms.md §8).
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** Schema of `chat.dingtalk`. */
export const dingtalkConfigSchema = z.strictObject({
  /** stream: the SDK's WebSocket (no public URL); http: DingTalk POSTs to /webhooks/dingtalk. */
  mode: z.enum(['stream', 'http']).default('stream'),
  /** AppKey. */
  clientId: nonEmpty,
  /** AppSecret; also the HTTP-mode `sign` key (chat-platforms.md §3). */
  clientSecret: nonEmpty,
  /** robotCode (= AppKey for an internal app's robot). */
  robotCode: nonEmpty,
  apiBase: z.url().default('https://api.dingtalk.com'),
  oapiBase: z.url().default('https://oapi.dingtalk.com'),
  gatewayUrl: z.url().default('https://api.dingtalk.com/v1.0/gateway/connections/open'),
  /** Our own imported card template id; '' = the public AI-card template (chat-platforms.md §4.8). */
  cardTemplateId: z.string().default(''),
});

/** Parsed `chat.dingtalk` section. */
export type DingtalkConfig = z.infer<typeof dingtalkConfigSchema>;
