import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger redaction', () => {
  it('scrubs configured secret values from messages and fields', () => {
    const { lines, destination } = capture();
    const log = createLogger({ secrets: ['s3cr3t-value-1'], destination });
    log.warn({ err: 'upstream said s3cr3t-value-1' }, 'call failed with s3cr3t-value-1');
    expect(lines.join('')).not.toContain('s3cr3t-value-1');
    expect(lines.join('')).toContain('[REDACTED]');
  });

  it('scrubs header-shaped credentials it was never told about (same Redactor as the chat path)', () => {
    const { lines, destination } = capture();
    const log = createLogger({ secrets: [], destination });
    log.error({ body: 'echo: authorization: Bearer unknown-token-9, PRIVATE-TOKEN: glpat-zzzz' }, 'gitlab failed');
    const out = lines.join('');
    expect(out).not.toContain('unknown-token-9');
    expect(out).not.toContain('glpat-zzzz');
  });
});
