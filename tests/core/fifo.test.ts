import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/core/fifo.ts';

describe('Fifo', () => {
  it('hands items out in order across compactions, and puts items back at the front', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push(q.shift()!);
    q.unshift([-2, -1]);
    expect(q.length).toBe(2002);
    expect(q.peek()).toBe(-2);
    while (q.length > 0) out.push(q.shift()!);
    expect(out.slice(0, 3000)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(out.slice(3000, 3002)).toEqual([-2, -1]);
    expect(out.slice(3002)).toEqual(Array.from({ length: 2000 }, (_, i) => 3000 + i));
    expect(q.shift()).toBeUndefined();
    q.unshift([7, 8]);
    expect([q.shift(), q.shift(), q.length]).toEqual([7, 8, 0]);
  });
});
