/**
 * The command registry: names and aliases (collisions fail at start), lookup with "did you mean",
 * and turning a parsed command line into validated args through the spec's zod schema.
 */
import { z } from 'zod';
import type { CommandSpec } from './define-command.ts';
import type { ParsedCommand } from './parse.ts';
import { suggest } from './suggest.ts';

export class RegistryError extends Error {}

/** Bad arguments for a known command: the bot answers with the command's usage card. */
export class UsageProblem extends Error {
  constructor(
    readonly spec: CommandSpec,
    readonly problems: string[],
  ) {
    super(problems.join('; '));
  }
}

export class CommandRegistry {
  private readonly byName = new Map<string, CommandSpec>();
  private readonly specs: CommandSpec[] = [];
  /** Specs with `when`, by name: they take over some forms of a command line (commands/cancel-confirmation.ts). */
  private readonly variants = new Map<string, CommandSpec[]>();

  constructor(specs: readonly CommandSpec[] = []) {
    for (const s of specs) this.register(s);
  }

  register(spec: CommandSpec): void {
    if (spec.when) {
      const name = spec.name.toLowerCase();
      this.variants.set(name, [...(this.variants.get(name) ?? []), spec]);
      return;
    }
    for (const key of [spec.name, ...(spec.aliases ?? [])].map((k) => k.toLowerCase())) {
      const other = this.byName.get(key);
      if (other) throw new RegistryError(`command name "${key}" of /${spec.name} is already taken by /${other.name}`);
      this.byName.set(key, spec);
    }
    this.specs.push(spec);
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The spec that answers this command line: a matching variant of the name, else the command itself. */
  resolve(parsed: ParsedCommand): CommandSpec | undefined {
    const spec = this.get(parsed.name);
    const name = (spec?.name ?? parsed.name).toLowerCase();
    return this.variants.get(name)?.find((v) => v.when?.(parsed)) ?? spec;
  }

  list(): CommandSpec[] {
    return [...this.specs];
  }

  /** The closest command name or alias to a mistyped one. */
  suggest(name: string): string | undefined {
    const hit = suggest(name, this.byName.keys());
    return hit ? this.byName.get(hit)?.name : undefined;
  }

  valueFlags(name: string): string[] {
    return this.get(name)?.valueFlags ?? [];
  }

  /** Map positionals to params, merge flags and pairs, validate. Throws UsageProblem. */
  buildArgs(spec: CommandSpec, parsed: ParsedCommand, t: (key: string, vars?: Record<string, string>) => string = defaultProblemText): Record<string, unknown> {
    const raw: Record<string, unknown> = { ...parsed.flags };
    const problems: string[] = [];
    const pos = [...parsed.positionals];
    for (const p of spec.params) {
      if (p.endsWith('...')) {
        raw[p.slice(0, -3)] = pos.splice(0);
        break;
      }
      const v = pos.shift();
      if (v !== undefined) raw[p] = v;
    }
    if (pos.length > 0) problems.push(t('core.usage.unexpected', { words: pos.join(' ') }));
    if (Object.keys(parsed.pairs).length > 0) raw.pairs = parsed.pairs;
    const known = new Set([...Object.keys(spec.args.shape)]);
    for (const k of Object.keys(parsed.flags)) if (!known.has(k)) problems.push(t('core.usage.unknownFlag', { flag: k }));
    if (problems.length > 0) throw new UsageProblem(spec, problems);
    const r = spec.args.safeParse(raw);
    if (!r.success) {
      throw new UsageProblem(
        spec,
        r.error.issues.map((i) => {
          const at = i.path.join('.');
          if (i.code === 'invalid_type' && raw[at] === undefined) return t('core.usage.missing', { name: at });
          return at ? t('core.usage.invalid', { name: at, value: String(raw[at] ?? ''), reason: i.message }) : i.message;
        }),
      );
    }
    return r.data as Record<string, unknown>;
  }
}

const defaultProblemText = (key: string, vars: Record<string, string> = {}): string =>
  ({
    'core.usage.unexpected': `unexpected: ${vars.words}`,
    'core.usage.unknownFlag': `unknown flag --${vars.flag}`,
    'core.usage.missing': `missing <${vars.name}>`,
    'core.usage.invalid': `<${vars.name}>: ${vars.reason}`,
  })[key] ?? key;

/** The usage line of a spec: `/deploy <product> <release> <env> [--dry-run]`. */
export function usageLine(spec: CommandSpec): string {
  const shape = spec.args.shape as Record<string, z.ZodType>;
  const parts = [`/${spec.name}`];
  for (const p of spec.params) {
    const name = p.replace(/\.\.\.$/, '');
    const schema = shape[name];
    const optional = !schema || schema.safeParse(undefined).success;
    const label = p.endsWith('...') ? `${name}...` : name;
    parts.push(optional ? `[${label}]` : `<${label}>`);
  }
  const params = new Set(spec.params.map((p) => p.replace(/\.\.\.$/, '')));
  for (const key of Object.keys(shape)) {
    if (params.has(key) || key === 'pairs') continue;
    const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    parts.push(spec.valueFlags?.includes(key) ? `[${flag} <${key}>]` : `[${flag}]`);
  }
  if ('pairs' in shape) parts.push('[key=value ...]');
  return parts.join(' ');
}
