/**
 * `chat.wecom` config section (contract.md "Config keys"): the self-built app (callback crypto +
 * message/send) and the optional 智能机器人 (`aibot`, chat-platforms.md §7.3–7.4).
 */
import { z } from 'zod';

const aibotSchema = z
  .strictObject({
    /** websocket: long connection, no public URL (default for groups); http: API-mode callback URL. */
    mode: z.enum(['websocket', 'http']).default('websocket'),
    botId: z.string().min(1),
    /** Long-connection secret (websocket mode). */
    secret: z.string().min(1).optional(),
    url: z.string().url().default('wss://openws.work.weixin.qq.com'),
    /** Callback Token (http mode). */
    token: z.string().min(1).optional(),
    /** Callback EncodingAESKey, 43 chars (http mode). */
    encodingAESKey: z.string().length(43).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'http') {
      if (!v.token) ctx.addIssue({ code: 'custom', path: ['token'], message: 'aibot http mode needs token (the callback Token)' });
      if (!v.encodingAESKey)
        ctx.addIssue({ code: 'custom', path: ['encodingAESKey'], message: 'aibot http mode needs encodingAESKey (43 characters)' });
    } else if (!v.secret) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'aibot websocket mode needs secret (the bot Secret)' });
    }
  });

/** zod schema of `chat.wecom`; the lead composes it into the config schema. */
export const wecomConfigSchema = z.strictObject({
  corpId: z.string().min(1),
  agentId: z.coerce.number().int().positive(),
  secret: z.string().min(1),
  token: z.string().min(1),
  /** 43 characters; base64(key + '=') must give 32 bytes (chat-platforms.md §5). */
  encodingAESKey: z.string().length(43, { message: 'encodingAESKey is the 43-character EncodingAESKey from the callback settings' }),
  apiBase: z.string().url().default('https://qyapi.weixin.qq.com'),
  aibot: aibotSchema.optional(),
});

/** Parsed `chat.wecom` section. */
export type WecomConfig = z.infer<typeof wecomConfigSchema>;
/** Parsed `chat.wecom.aibot` section. */
export type WecomAibotConfig = z.infer<typeof aibotSchema>;
