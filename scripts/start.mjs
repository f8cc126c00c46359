#!/usr/bin/env node
// `npm start`: run the compiled bot (dist/), building it first when dist/ is missing or older than a
// source file, so `npm ci && npm start` stays the two-command start and an edited checkout never runs
// stale code. `npm run dev` keeps the TypeScript loader (tsx) for development.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'src', 'main.js');
const stamp = path.join(root, 'dist', '.tsbuildinfo');

/** Newest mtime of the sources the build reads. */
function newestSource() {
  let newest = statSync(path.join(root, 'tsconfig.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['src', 'commands', 'cards']) walk(path.join(root, d));
  return newest;
}

if (!existsSync(entry) || !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource()) {
  process.stderr.write('opsbot: building dist/ (tsc -p tsconfig.build.json)…\n');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('opsbot: the build failed; `npm run dev` runs the sources directly\n');
    process.exit(r.status ?? 1);
  }
  // An incremental build with nothing to emit leaves the stamp as it was: mark the build current.
  const now = new Date();
  utimesSync(stamp, now, now);
}
await import(entry);
