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

// Features as modules (issue 14, "Done when"): core knows no adapter, source, deploy feature or store
// driver; only src/store asks which driver is in use; commands never check whether a service exists.
describe('feature boundaries', () => {
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  it('src/core imports no adapter, source, deploy module or store driver', () => {
    for (const f of files(path.join(root, 'src', 'core'))) {
      for (const imp of importsOf(f)) {
        expect(imp, `${rel(f)} imports ${imp}`).not.toMatch(/\/(adapters|sources|deploy)\/|\/store\/(lowdb-store|postgres-store|memory-store|create-store|create-coordination|journal-file|postgres\/)/);
      }
    }
  });
  it('nothing outside src/store checks which store driver is in use', () => {
    for (const dir of ['src', 'commands', 'cards']) {
      for (const f of files(path.join(root, dir))) {
        if (rel(f).startsWith('src/store/')) continue;
        const text = readFileSync(f, 'utf8');
        expect(text, rel(f)).not.toMatch(/instanceof\s+(PostgresStore|LowdbStore|MemoryStore)|\.driver\s*[!=]==/);
      }
    }
  });
  it('no command checks whether a service exists, and none reaches into a services bag', () => {
    for (const f of files(path.join(root, 'commands'))) {
      const text = readFileSync(f, 'utf8');
      expect(text, rel(f)).not.toMatch(/ctx\.services\b|\bservices\??\.(deploys|sentry|gitlab|commands|confirmations|timers)\b|t\('[\w.]*notConfigured'\)/);
    }
  });
  it('core, sources and the deploy feature never switch on a platform name', () => {
    for (const dir of ['src/core', 'src/sources', 'src/deploy', 'commands', 'cards']) {
      for (const f of files(path.join(root, dir))) {
        const text = readFileSync(f, 'utf8');
        expect(text, rel(f)).not.toMatch(/(platform|prefix)\w*\s*===\s*'(dingtalk|wecom|console|test)|startsWith\('(dingtalk|wecom)/);
      }
    }
  });
});
