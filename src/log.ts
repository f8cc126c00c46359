/**
 * pino logger that never prints a configured secret: known paths are redacted, and every line is
 * scrubbed of the literal secret values collected from the config (a token pasted into an error
 * message from an upstream API would otherwise leak).
 */
import { pino, type Logger } from 'pino';

export function createLogger(options: { level?: string; secrets?: string[]; destination?: NodeJS.WritableStream } = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const scrub = (line: string) => {
    let out = line;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    return out;
  };
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
