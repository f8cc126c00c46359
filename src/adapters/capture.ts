/**
 * An in-process chat adapter that records what the bot sends: the test seam of tests and benches
 * (Hubot's DummyAdapter, Chat SDK's mock adapter). Addresses `test:<id>`.
 */
import type { IncomingMessage, OutgoingMessage } from '../core/message.ts';
import type { ChatAdapter, PlatformIdentity } from './types.ts';

/** Test senders are matched by person id, and mentions are person ids. */
export const captureIdentity: PlatformIdentity = {
  platform: 'test',
  addressPrefixes: ['test'],
  addressForms: ['"test:<id>"'],
  personOf: (sender, config) => (config.people[sender.id] ? sender.id : undefined),
  mentionOf: (id) => id,
};

export class CaptureAdapter implements ChatAdapter {
  readonly platform = 'test' as const;
  readonly sent: OutgoingMessage[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly addressPrefixes: readonly string[] = ['test']) {}

  routes() {
    return [];
  }
  async start() {}
  async stop() {}

  async send(msg: OutgoingMessage): Promise<void> {
    this.sent.push(msg);
    this.waiters = this.waiters.filter((w) => {
      if (this.sent.length >= w.n) w.resolve();
      return this.sent.length < w.n;
    });
  }

  /** Resolves once at least `n` messages have been sent in total. */
  waitFor(n: number, timeoutMs = 5000): Promise<void> {
    if (this.sent.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${n} sent messages, got ${this.sent.length}`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** A message as if typed in chat `test:<chat>` by platform user `from`. */
  static message(textIn: string, opts: { from?: string; chat?: string; id?: string } = {}): IncomingMessage {
    return {
      id: opts.id ?? `m-${Math.random().toString(36).slice(2)}`,
      platform: 'test',
      chat: `test:${opts.chat ?? 'chat'}`,
      chatType: 'group',
      sender: { platform: 'test', id: opts.from ?? 'alice' },
      text: textIn,
      receivedAt: Date.now(),
    };
  }
}
