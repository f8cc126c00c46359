/**
 * Which sessionWebhook URLs we POST replies to (hardening item 5). The URL arrives inside the message
 * body, and in HTTP mode the body is not covered by DingTalk's `sign` (chat-platforms.md §3), so a
 * forged or replayed body could make the bot POST its reply (chat content, @mentions) to any URL,
 * e.g. `http://127.0.0.1:18181/…` inside our network. DingTalk's own sessionWebhooks are
 * `https://oapi.dingtalk.com/robot/sendBySession?session=…` (§2, §4.1); we also accept
 * `api.dingtalk.com` and the configured `oapiBase` origin (private deployments, local fakes in tests).
 */
import type { DingtalkConfig } from './config.ts';

/** DingTalk's public hosts; only over https on the default port. */
const DINGTALK_HOSTS = new Set(['oapi.dingtalk.com', 'api.dingtalk.com']);

/** True when `url` is a sessionWebhook on DingTalk's own host (or the configured oapiBase origin). */
export function isDingtalkSessionWebhook(url: string, config: Pick<DingtalkConfig, 'oapiBase'>): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  // Credentials in the URL are never DingTalk's; refuse them rather than reason about them.
  if (u.username || u.password) return false;
  if (u.protocol === 'https:' && u.port === '' && DINGTALK_HOSTS.has(u.hostname)) return true;
  try {
    const base = new URL(config.oapiBase);
    return u.protocol === base.protocol && u.host === base.host;
  } catch {
    return false;
  }
}

/** host + path of a webhook URL for logs (the query carries the session token). */
export function webhookHostForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}
