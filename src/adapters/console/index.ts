/**
 * The console chat (Hubot's Shell adapter): lines from stdin are messages from a local user; replies
 * and card updates are printed as text on stdout (logs go to stderr then). EOF on stdin does not stop
 * the server: `printf '/help\n' | npm start` prints the answer and keeps serving.
 */
import { createInterface } from 'node:readline';
import { cardToText } from '../../../cards/model.ts';
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { ChatAdapter, WebhookRoute } from '../types.ts';

export interface ConsoleAdapterDeps {
  onMessage(msg: IncomingMessage): Promise<unknown>;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export function createConsoleAdapter(deps: ConsoleAdapterDeps): ChatAdapter {
  const output = deps.output ?? process.stdout;
  let seq = 0;
  let rl: ReturnType<typeof createInterface> | undefined;
  const shown = new Set<string>();
  return {
    platform: 'console',
    addressPrefixes: ['console'],
    routes(): WebhookRoute[] {
      return [];
    },
    async start() {
      rl = createInterface({ input: deps.input ?? process.stdin, terminal: false });
      rl.on('line', (line) => {
        const text = line.trim();
        if (!text) return;
        void deps.onMessage({
          id: `console-${process.pid}-${Date.now()}-${++seq}`,
          platform: 'console',
          chat: 'console',
          chatType: 'direct',
          sender: { platform: 'console', id: 'console', name: 'console' },
          text,
          receivedAt: Date.now(),
        });
      });
    },
    async stop() {
      rl?.close();
    },
    async send(msg: OutgoingMessage) {
      const body = msg.reply.kind === 'text' ? msg.reply.text : cardToText(msg.reply.card);
      const update = msg.cardKey && shown.has(msg.cardKey);
      if (msg.cardKey) shown.add(msg.cardKey);
      const mentions = msg.mentions?.length ? msg.mentions.map((m) => `@${m}`).join(' ') + '\n' : '';
      output.write(`${update ? `[更新 ${msg.cardKey}] ` : ''}${mentions}${body}\n\n`);
    },
  };
}
