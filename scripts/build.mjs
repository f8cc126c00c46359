#!/usr/bin/env node
// The production build (`npm run build`; run by `prepare` and by scripts/start.mjs when stale): one
// ESM bundle, dist/opsbot.mjs, made by esbuild (already here as tsx's compiler; pinned in package.json).
// Why a bundle and not tsc's file-per-module output: start-up was dominated by Node resolving, reading
// and compiling several hundred module files (a CPU profile of `node dist/src/main.js`: over half of
// the start-up CPU in the module loader); one file starts ≈ 35 % faster (bench/startup.ts, issue 22 §4).
// Type checking stays `npm run typecheck` (tsc --noEmit); esbuild only strips types.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'src', 'main.ts')],
  outfile: path.join(root, 'dist', 'opsbot.mjs'),
  ...BUNDLE_OPTIONS,
  sourcemap: true,
});
writeFileSync(path.join(root, 'dist', '.build-stamp'), new Date().toISOString() + '\n');
