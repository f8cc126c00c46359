/**
 * A test seam of the embedded store: `beforeWrite` runs before every durable write (journal append,
 * compaction, hot-file rewrite, health probe) and may throw to simulate the disk failing, e.g.
 * `enospc()`; tests flip it on and off. Production passes none.
 */
export interface WriteFaults {
  beforeWrite(file: string): void;
}

/** The error a full disk gives write(2) (errno 28). */
export function enospc(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/** Faults that a test switches: `failing = true` makes every write throw ENOSPC. */
export class SwitchableFaults implements WriteFaults {
  failing = false;
  failures = 0;
  beforeWrite(file: string): void {
    if (!this.failing) return;
    this.failures++;
    throw enospc(file);
  }
}
