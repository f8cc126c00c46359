import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['tests/faults/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000, pool: 'forks', setupFiles: ['tests/setup.ts'] },
});
