/** The console chat as a feature: on with `chat.console`, reading stdin unless the app gives other streams. */
import { defineFeature, type Feature } from '../../core/feature.ts';
import { createConsoleAdapter } from './index.ts';

export interface ConsoleIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export function consoleFeature(io?: ConsoleIO): Feature {
  return defineFeature({
    name: 'console',
    enabled: (config) => config.chat.console !== false,
    setup: ({ onMessage }) => ({ adapters: [createConsoleAdapter({ onMessage, ...(io ?? {}) })] }),
  });
}
