#!/usr/bin/env node
// `npm start`: run the compiled bot (dist/), building it first when dist/ is missing or older than a
// source file, so `npm ci && npm start` stays the two-command start and an edited checkout never runs
// stale code. `npm run dev` keeps the TypeScript loader (tsx) for development.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'opsbot.mjs');
const stamp = path.join(root, 'dist', '.build-stamp');

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
  process.stderr.write('opsbot: building dist/opsbot.mjs (scripts/build.mjs)…\n');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('opsbot: the build failed; `npm run dev` runs the sources directly\n');
    process.exit(r.status ?? 1);
  }
}
// OPSBOT_BUILD_ONLY=1: bring dist/ up to date and stop (the start-up benchmark builds before it times).
if (process.env.OPSBOT_BUILD_ONLY) process.exit(0);
await import(entry);
