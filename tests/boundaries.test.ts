// Dependencies point inward (style.md §3.1 #10): commands/ and cards/ never import Koa, lowdb, pg, node:http
// or an adapter; nothing outside src/store imports lowdb; every commands/*.ts file is registered.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../commands/index.ts';

const root = path.resolve(import.meta.dirname, '..');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('import boundaries', () => {
  for (const dir of ['commands', 'cards']) {
    it(`${dir}/ imports no koa, lowdb, pg, node:http or adapter`, () => {
      for (const f of files(path.join(root, dir))) {
        for (const imp of importsOf(f)) {
          expect(imp, `${path.relative(root, f)} imports ${imp}`).not.toMatch(/^(koa|@koa\/|lowdb|pg$|node:http|undici|dingtalk-stream|@wecom\/)|\/adapters\/|\/server\//);
        }
      }
    });
  }
  it('only src/store imports lowdb', () => {
    for (const dir of ['src', 'commands', 'cards']) {
      for (const f of files(path.join(root, dir))) {
        if (f.includes(`${path.sep}store${path.sep}`)) continue;
        for (const imp of importsOf(f)) expect(imp, path.relative(root, f)).not.toMatch(/^lowdb/);
      }
    }
  });
  it('every commands/*.ts file is registered in commands/index.ts', () => {
    const names = readdirSync(path.join(root, 'commands')).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    const index = readFileSync(path.join(root, 'commands', 'index.ts'), 'utf8');
    for (const f of names) expect(index, f).toContain(`./${f}`);
    expect(commands.length).toBeGreaterThanOrEqual(names.length);
  });
});
