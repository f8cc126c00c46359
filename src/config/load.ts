/**
 * Config resolution and validation (contract.md "Start"): `$OPSBOT_CONFIG`, else `./opsbot.yaml`, else
 * the bundled `config/example.yaml`; `${ENV}` substitution; zod validation; cross-references. Every
 * problem names the file, the YAML path, what is wrong and what to write instead (Probot's actionable
 * config errors).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SCOPABLE_ROLES } from '../core/permissions.ts';
import { engineDeclaration } from '../deploy/engines/index.ts';
import { suggest } from '../core/suggest.ts';
import { configSchema, type Config } from './schema.ts';
import { collectSecrets, hideValues, isSecretPath, weakSecrets } from './secrets.ts';

export { MIN_SECRET_LENGTH } from './secrets.ts';

/** The directory with package.json above this file: the same from src/ (tsx) and from dist/src/ (compiled). */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const EXAMPLE_CONFIG = path.join(PROJECT_ROOT, 'config', 'example.yaml');

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

/** A config problem: `file: path: what. hint` */
export interface ConfigProblem {
  path: string;
  message: string;
  hint?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `Invalid config ${file}:\n` +
        problems.map((p) => `  - ${file}: ${p.path || '(top level)'}: ${p.message}${p.hint ? `. ${p.hint}` : ''}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Which file to read, per the contract's order. */
export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.OPSBOT_CONFIG) return path.resolve(cwd, env.OPSBOT_CONFIG);
  const local = path.join(cwd, 'opsbot.yaml');
  if (existsSync(local)) return local;
  return EXAMPLE_CONFIG;
}

export interface LoadedConfig {
  config: Config;
  file: string;
  /** Every string that came from a `${ENV}` or a secret-looking key, for log redaction. */
  secrets: string[];
}

/** Read, substitute, validate. Throws ConfigError. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; text?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? resolveConfigPath(env);
  let source: string;
  try {
    source = options.text ?? readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'set OPSBOT_CONFIG to an existing YAML file' }]);
  }
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0] ?? 'YAML syntax error', hint: 'fix the YAML syntax (indentation, quotes, colons)' })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const problems: ConfigProblem[] = [];
  const secrets: string[] = [];
  const substituted = substitute(raw, [], env, problems, secrets);
  // Values that must never appear in a message, even one about another key (a secret pasted in the wrong place).
  const hidden = [...secrets];
  collectSecrets(substituted, [], hidden);
  const fail = (ps: ConfigProblem[]) => new ConfigError(file, hideValues(ps, hidden));
  if (problems.length > 0) throw fail(problems);
  const weak = weakSecrets(substituted, []);
  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) throw fail([...weak, ...parsed.error.issues.map((i) => describeIssue(i, substituted))]);
  if (weak.length > 0) throw fail(weak);
  const config = parsed.data;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(file, [{ path: '$PORT', message: `"${env.PORT}" is not a port`, hint: 'set PORT to a number from 0 to 65535' }]);
    config.server.port = port;
  }
  if (env.OPSBOT_DATA_DIR) config.storage.dataDir = env.OPSBOT_DATA_DIR;
  const xref = crossCheck(config);
  if (xref.length > 0) throw new ConfigError(file, xref);
  collectSecrets(config, [], secrets);
  return { config, file, secrets: [...new Set(secrets.filter((s) => s.length >= 4))] };
}

/** Replace `${NAME}` in every string; a missing variable is a problem naming it and its path. */
function substitute(v: unknown, at: (string | number)[], env: NodeJS.ProcessEnv, problems: ConfigProblem[], secrets: string[]): unknown {
  if (typeof v === 'string') {
    return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined) {
        problems.push({ path: at.join('.'), message: `environment variable ${name} is not set`, hint: `export ${name}=... before starting, or write the value in the file` });
        return '';
      }
      secrets.push(value);
      return value;
    }).replace(/\$\{([^}]*)\}?/g, (m: string) => {
      // A `${...}` left after substitution is a malformed reference, not a value to use literally.
      problems.push({ path: at.join('.'), message: `"${m}" is not a valid environment reference`, hint: 'write ${UPPER_CASE_NAME} (letters, digits, underscores)' });
      return m;
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, [...at, i], env, problems, secrets));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, [...at, k], env, problems, secrets)]));
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): ConfigProblem {
  const p = issue.path.map(String).join('.');
  // Under a secret key the value is never shown, not even its first characters: only its kind.
  const secret = isSecretPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(issue.path.map(String), data);
      const parts = issue.keys.map((k) => {
        const close = suggest(k, known);
        return close ? `"${k}" (did you mean "${close}"?)` : `"${k}"`;
      });
      return { path: p, message: `unknown key ${parts.join(', ')}`, hint: known.length ? `valid keys here: ${known.join(', ')}` : 'remove it' };
    }
    case 'invalid_union': {
      const d = issue as z.core.$ZodIssueInvalidUnion & { options?: unknown[]; discriminator?: string };
      if (d.options) {
        const got = valueAt(issue.path);
        const close = typeof got === 'string' ? suggest(got, d.options.map(String)) : undefined;
        return {
          path: p,
          message: `${got === undefined ? 'missing' : secret ? 'the value is not valid' : `"${String(got)}" is not valid`}${close && !secret ? ` (did you mean "${close}"?)` : ''}`,
          hint: `write one of: ${d.options.map(String).join(', ')}`,
        };
      }
      return { path: p, message: issue.message };
    }
    case 'invalid_type':
      return {
        path: p,
        message:
          valueAt(issue.path) === undefined
            ? `missing (expected ${issue.expected})`
            : `expected ${issue.expected}, got ${typeof valueAt(issue.path)}${secret ? ' (value not shown: secret)' : ` ${JSON.stringify(valueAt(issue.path))}`}`,
        hint: valueAt(issue.path) === undefined ? `add ${String(issue.path[issue.path.length - 1] ?? 'it')}: <${issue.expected}>` : `write a ${issue.expected}`,
      };
    case 'invalid_value':
      return { path: p, message: secret ? 'the value is not valid' : `"${String(valueAt(issue.path))}" is not valid`, hint: `write one of: ${issue.values.map(String).join(', ')}` };
    default:
      return { path: p, message: issue.message };
  }
  function valueAt(path: PropertyKey[]): unknown {
    return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), data);
  }
}

/** The keys the schema allows at a path (for "did you mean"). */
export function knownKeys(at: string[], data?: unknown): string[] {
  let s: unknown = configSchema;
  let v = data;
  for (const key of [...at, null]) {
    s = unwrap(s, v);
    v = key !== null && v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    const def = (s as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return [];
    if (key === null) return def.type === 'object' ? Object.keys(def.shape as object) : [];
    if (def.type === 'object') s = (def.shape as Record<string, unknown>)[key];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return [];
  }
  return [];
}

/** `value`: the data at this point; a discriminated union (`engine:`) is read as the option its `type` names. */
function unwrap(s: unknown, value?: unknown): unknown {
  type Def = { type: string; shape?: Record<string, { _zod?: { def?: { type: string; values?: unknown[] } } }> };
  const defOf = (o: unknown) => (o as { _zod: { def: Def } })._zod.def;
  const tag = value && typeof value === 'object' ? (value as Record<string, unknown>).type : undefined;
  for (let i = 0; i < 10; i++) {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return s;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type as string)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (def.type === 'union') {
      const objects = (def.options as unknown[]).filter((o) => defOf(o).type === 'object');
      s = objects.find((o) => defOf(o).shape?.type?._zod?.def?.values?.includes(tag)) ?? objects[0] ?? s;
    }
    else return s;
    if (def.type === 'union') return s;
  }
  return s;
}

/** References between sections: teams, people, products. */
function crossCheck(c: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const people = Object.keys(c.people);
  const teams = Object.keys(c.teams);
  const person = (p: string, where: string) => {
    if (!c.people[p]) {
      const close = suggest(p, people);
      out.push({ path: where, message: `"${p}" is not in people${close ? ` (did you mean "${close}"?)` : ''}`, hint: `add people.${p}: { name: ..., roles: [...] } or use one of: ${people.join(', ') || '(none)'}` });
    }
  };
  for (const [id, p] of Object.entries(c.people)) p.roles.forEach((r, i) => out.push(...scopedRoleProblems(r, `people.${id}.roles.${i}`, c)));
  for (const [id, team] of Object.entries(c.teams)) team.members.forEach((m, i) => person(m, `teams.${id}.members.${i}`));
  for (const [id, prod] of Object.entries(c.products)) {
    if (prod.team && !c.teams[prod.team]) {
      const close = suggest(prod.team, teams);
      out.push({ path: `products.${id}.team`, message: `team "${prod.team}" is not defined${close ? ` (did you mean "${close}"?)` : ''}`, hint: `add teams.${prod.team} or use one of: ${teams.join(', ') || '(none)'}` });
    }
    prod.owners.forEach((o, i) => person(o, `products.${id}.owners.${i}`));
    for (const [rel, pins] of Object.entries(prod.releases)) {
      for (const comp of Object.keys(pins)) {
        if (!prod.components.includes(comp)) {
          const close = suggest(comp, prod.components);
          out.push({ path: `products.${id}.releases.${rel}.${comp}`, message: `"${comp}" is not a component of ${id}${close ? ` (did you mean "${close}"?)` : ''}`, hint: `components are: ${prod.components.join(', ')}` });
        }
      }
    }
    for (const [env, e] of Object.entries(prod.environments)) {
      out.push(...(engineDeclaration(e.engine.type).problems?.(e.engine as never, prod, `products.${id}.environments.${env}.engine`) ?? []));
    }
  }
  const consoleAs = c.chat.console;
  if (typeof consoleAs === 'object') person(consoleAs.as, 'chat.console.as');
  return out;
}

/** A role `<role>:<product>` (permissions.ts): only scopable roles, and the product must be configured. */
function scopedRoleProblems(role: string, where: string, c: Config): ConfigProblem[] {
  const colon = role.indexOf(':');
  if (colon < 0) return [];
  const [name, product] = [role.slice(0, colon), role.slice(colon + 1)];
  const products = Object.keys(c.products);
  const forms = products.length > 0 ? products.map((p) => `${SCOPABLE_ROLES[0] ?? 'deployer'}:${p}`).join(', ') : '(no products configured)';
  if (!SCOPABLE_ROLES.includes(name)) {
    return [{ path: where, message: `"${role}": only ${SCOPABLE_ROLES.join(', ')} can be limited to one product`, hint: `write the global role "${name}", or one of: ${forms}` }];
  }
  if (!c.products[product]) {
    const close = product ? suggest(product, products) : undefined;
    const what = product ? `product "${product}" is not configured${close ? ` (did you mean "${close}"?)` : ''}` : 'no product after the colon';
    return [{ path: where, message: `"${role}": ${what}`, hint: `valid products: ${products.join(', ') || '(none)'}; write ${name}:<product> (e.g. ${forms}) or the global role "${name}"` }];
  }
  return [];
}
