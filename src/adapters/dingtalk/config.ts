/**
 * `chat.dingtalk` config section (contract.md "Config keys", "Added with the second wave"). Strict so
 * a typo in a key is an error. Every DingTalk base URL is overridable so tests (and private
 * deployments) can point at local fakes (chat-platforms.md §8).
 *
 * Two independent parts: the app (clientId/clientSecret/robotCode: Stream or HTTP robot, OpenAPI,
 * interactive cards) and custom group robots (`robots`, 自定义机器人, send only, §4.2). A section with
 * only `robots` is valid; the app parts are then not started.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** One custom group robot (自定义机器人, chat-platforms.md §4.2): its webhook token and security option. */
export const dingtalkRobotSchema = z.strictObject({
  /** The `access_token` of the robot's webhook URL. Never logged. */
  accessToken: nonEmpty,
  /** 加签 secret (`SEC…`): every send carries `timestamp` + `sign`. Never logged. */
  secret: nonEmpty.optional(),
  /** 自定义关键词: the message must contain it, so it is added to the text when missing. */
  keyword: nonEmpty.optional(),
  /**
   * Optional: the openConversationId of the group this robot was added to. Lets a message for
   * `dingtalk:<that id>` that must @someone go through the robot (whose `at` notifies) when the app's
   * OpenAPI (`groupMessages/send`, no `at` field) is the only other path.
   */
  group: nonEmpty.optional(),
});

/** Schema of `chat.dingtalk`. */
export const dingtalkConfigSchema = z
  .strictObject({
    /** stream: the SDK's WebSocket (no public URL); http: DingTalk POSTs to /webhooks/dingtalk. */
    mode: z.enum(['stream', 'http']).default('stream'),
    /** AppKey. '' (absent) = no app: robots only. */
    clientId: z.string().default(''),
    /** AppSecret; also the HTTP-mode `sign` key (chat-platforms.md §3). */
    clientSecret: z.string().default(''),
    /** robotCode (= AppKey for an internal app's robot). */
    robotCode: z.string().default(''),
    apiBase: z.url().default('https://api.dingtalk.com'),
    oapiBase: z.url().default('https://oapi.dingtalk.com'),
    gatewayUrl: z.url().default('https://api.dingtalk.com/v1.0/gateway/connections/open'),
    /** Our own imported card template id; '' = the public AI-card template (chat-platforms.md §4.8). */
    cardTemplateId: z.string().default(''),
    /**
     * HTTP mode: the route key interactive cards are created with (`callbackType: HTTP`,
     * `callbackRouteKey`) and registered under at start, pointing at `<server.publicUrl>/webhooks/dingtalk`
     * (chat-platforms.md §4.5). Without `server.publicUrl`, HTTP mode sends markdown with typed commands.
     */
    cardCallbackRouteKey: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'letters, digits, _ . - (at most 64)' }).default('opsbot'),
    /**
     * Metered OpenAPI calls a month (chat-platforms.md §4.8: base edition 10 000, then errcode 90020);
     * 0 = unlimited (still counted). Warnings at 80 %/95 %, card refreshes throttled below 20 % left,
     * metered sends refused at 0 (quota.ts).
     */
    monthlyQuota: z.number().int().min(0).default(10_000),
    /** Custom group robots by name, addressed as `dingtalk-robot:<name>`. */
    robots: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'a robot name is letters, digits, _ . -' }), dingtalkRobotSchema).default({}),
  })
  .superRefine((c, ctx) => {
    const app = { clientId: c.clientId, clientSecret: c.clientSecret, robotCode: c.robotCode };
    const missing = Object.entries(app).filter(([, v]) => v === '').map(([k]) => k);
    if (missing.length === 0) return;
    if (missing.length === 3 && Object.keys(c.robots).length > 0) return; // robots only
    for (const k of missing) {
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message:
          missing.length === 3
            ? 'required: set clientId, clientSecret and robotCode (the app), or configure robots: { <name>: { accessToken, secret } }'
            : `required: the app needs clientId, clientSecret and robotCode together (missing ${missing.join(', ')})`,
      });
    }
  });

/** Parsed `chat.dingtalk` section. */
export type DingtalkConfig = z.infer<typeof dingtalkConfigSchema>;
/** One parsed custom robot. */
export type DingtalkRobotConfig = z.infer<typeof dingtalkRobotSchema>;

/** True when the app part (clientId, clientSecret, robotCode) is configured. */
export const hasDingtalkApp = (c: DingtalkConfig): boolean => c.clientId !== '' && c.clientSecret !== '' && c.robotCode !== '';
