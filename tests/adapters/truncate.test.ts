/** Hardening item 6: the one byte-truncation helper every renderer uses (src/adapters/truncate.ts). */
import { describe, expect, it } from 'vitest';
import { actions, commandButton, markdown } from '../../cards/model.ts';
import { validUtf8 } from './utf8.ts';
import { byteSize, fitHeadTail, splitCardMarkdown, truncateBytes, truncationMarker } from '../../src/adapters/truncate.ts';


describe('truncateBytes', () => {
  it('returns the text unchanged when it fits', () => {
    expect(truncateBytes('abc', 3)).toBe('abc');
    expect(truncateBytes('中文', 6)).toBe('中文');
  });

  it('cuts on a character boundary and appends the marker, within the byte limit', () => {
    for (const max of [10, 11, 12, 13, 50]) {
      const out = truncateBytes('中'.repeat(100), max, { marker: '…' });
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
      expect(out.endsWith('…')).toBe(true);
      expect(validUtf8(out)).toBe(true);
      expect(out.replace('…', '')).toMatch(/^中*$/u);
    }
  });

  it('never splits a surrogate pair (emoji are 4 bytes, 2 UTF-16 units)', () => {
    for (let max = 4; max < 24; max++) {
      const out = truncateBytes('😀'.repeat(20), max, { marker: '' });
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
      expect(out.length % 2).toBe(0);
      expect(validUtf8(out)).toBe(true);
    }
  });

  it('counts JSON escapes when asked (quotes, backslashes, newlines, control characters)', () => {
    const s = '"\\\n\u0001'.repeat(100);
    const out = truncateBytes(s, 50, { measure: 'json', marker: '…' });
    expect(byteSize(out, 'json')).toBeLessThanOrEqual(50);
    expect(Buffer.byteLength(JSON.stringify(out)) - 2).toBeLessThanOrEqual(50);
  });

  it('markers: per locale, bilingual by default', () => {
    expect(truncationMarker('zh-CN')).toBe('…（已截断）');
    expect(truncationMarker('en')).toBe('… (truncated)');
    expect(truncationMarker()).toContain('已截断');
    expect(truncationMarker()).toContain('truncated');
    expect(truncateBytes('x'.repeat(100), 40)).toContain('truncated');
  });
});

describe('fitHeadTail / splitCardMarkdown', () => {
  it('cuts the head and keeps the tail whole', () => {
    const out = fitHeadTail('a'.repeat(1000), '@zhangsan', 100, { marker: '…' });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(100);
    expect(out.endsWith('\n\n@zhangsan')).toBe(true);
    expect(out).toContain('…');
  });

  it('keeps the card actions out of the part that may be cut', () => {
    const { head, actions: acts } = splitCardMarkdown({ title: 'T', blocks: [markdown('body'), actions([commandButton('Ack', '/alert ack 1')])] });
    expect(head).toBe('### T\n\nbody');
    expect(acts).toBe('`/alert ack 1`');
  });
});
