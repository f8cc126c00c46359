/** The transport seams live in core (src/core/transport.ts); adapters import them from here too. */
export type { ChatAdapter, HttpAnswer, PlatformIdentity, RawRequest, WebhookRoute } from '../core/transport.ts';
