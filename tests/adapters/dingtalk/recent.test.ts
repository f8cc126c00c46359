import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../../src/adapters/dingtalk/recent.ts';

describe('RecentIds', () => {
  it('is bounded and honours a TTL', () => {
    const r = new RecentIds(2);
    expect(r.add('a')).toBe(true);
    expect(r.add('a')).toBe(false);
    r.add('b');
    r.add('c'); // evicts a
    expect(r.add('a')).toBe(true);
    const t = new RecentIds(10, 1000);
    expect(t.add('x', 0)).toBe(true);
    expect(t.add('x', 999)).toBe(false);
    expect(t.add('x', 1000)).toBe(true);
  });
});
