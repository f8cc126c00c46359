import { describe, expect, it } from 'vitest';
import { ProgressThrottle } from '../../src/deploy/progress.ts';

describe('progress throttle', () => {
  it('coalesces log-driven updates to one per window, while state changes go at once', async () => {
    const sends: number[] = [];
    const p = new ProgressThrottle(100, Date.now, async () => void sends.push(Date.now()), () => {});
    await p.force('1');
    for (let i = 0; i < 50; i++) p.touch('1');
    expect(sends).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 150));
    await p.drain();
    expect(sends).toHaveLength(2); // the 50 touches became one update
    await p.force('1');
    expect(sends).toHaveLength(3);
    p.stop();
  });
});
