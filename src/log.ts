/**
 * pino logger that never prints a configured secret: known paths are redacted, and every line is
 * scrubbed by the shared Redactor (core/redact.ts): the literal secret values collected from the config
 * and credential-shaped text (a token pasted into an error message from an upstream API would otherwise leak).
 */
import { pino, type Logger } from 'pino';
import { Redactor } from './core/redact.ts';

export function createLogger(
  options: { level?: string; secrets?: string[]; redactor?: Redactor; destination?: NodeJS.WritableStream } = {},
): Logger {
  // The same redactor the chat path uses (core/redact.ts), so a log line and a reply hide the same things.
  const scrub = (options.redactor ?? new Redactor(options.secrets ?? [])).text;
  const dest = options.destination ?? process.stdout;
  return pino(
    {
      level: options.level ?? 'info',
      redact: {
        paths: ['*.secret', '*.clientSecret', '*.token', '*.authToken', '*.encodingAESKey', 'headers.authorization', 'headers["x-gitlab-token"]', 'headers["private-token"]', '*.accessToken', '*.access_token'],
        censor: '[REDACTED]',
      },
      hooks: { streamWrite: scrub },
    },
    dest as pino.DestinationStream,
  );
}
