/**
 * The server child as production runs code: bundled by esbuild with the production build's options
 * (scripts/bundle-options.mjs) into one ESM file, run by plain `node` (no TypeScript loader). Built once
 * per bench run into a temp dir (it imports nothing from the project at run time, so any dir works).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../scripts/bundle-options.mjs';

let built: Promise<string> | undefined;

/** Path of the bundled bench/lib/server-child.ts (built on first call). */
export function serverChildBundle(): Promise<string> {
  built ??= (async () => {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'opsbot-bench-bundle-')), 'server-child.mjs');
    await build({ ...BUNDLE_OPTIONS, entryPoints: [path.join(import.meta.dirname, 'server-child.ts')], outfile, sourcemap: false });
    return outfile;
  })();
  return built;
}
