/**
 * Command-line parsing for chat text: `/deploy demo "v1.1.0" env-1 --dry-run --to=v1.0.0 a=b`.
 * Quotes (ASCII and the full-width “” that Chinese IMEs insert) group words; `--flag` is a boolean
 * unless the command declares it as taking a value; `key=value` pairs are collected separately.
 */

export interface ParsedCommand {
  name: string;
  /** Positional words after the command name. */
  positionals: string[];
  /** `--dry-run` → { dryRun: true }, `--to v1` → { to: 'v1' } (for value flags), `--to=v1` always. */
  flags: Record<string, string | boolean>;
  /** `component-a=v1.2.0` pairs, in order. */
  pairs: Record<string, string>;
  /** The text after the command name, as typed. */
  rest: string;
}

export class ParseError extends Error {}

/** Split text into words, honouring quotes and backslash escapes. */
export function tokenize(input: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  const closing: Record<string, string> = { '"': '"', "'": "'", '“': '”', '「': '」' };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quote) {
      if (ch === closing[quote]) quote = null;
      else if (ch === '\\' && i + 1 < input.length) cur += input[++i];
      else cur += ch;
      continue;
    }
    if (ch in closing) {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      if (ch === '\\' && i + 1 < input.length) cur += input[++i];
      else cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ParseError(`unclosed quote ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

export const camelCase = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** True when the text looks like a command (leading `/`, or the full-width `／`). */
export function isCommandText(text: string): boolean {
  return /^\s*[/／]\S/.test(text);
}

/**
 * Parse a command line. `valueFlags` names the flags that consume the next word (`--to v1.0.0`).
 * Returns null when the text is not a command.
 */
export function parseCommand(text: string, valueFlags: (name: string) => string[] = () => []): ParsedCommand | null {
  const trimmed = text.trim().replace(/^／/, '/');
  if (!isCommandText(trimmed)) return null;
  const m = /^\/(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  const rest = m[2] ?? '';
  const words = tokenize(rest);
  const takesValue = new Set(valueFlags(name).map(camelCase));
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const pairs: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      if (eq > 2) {
        flags[camelCase(w.slice(2, eq))] = w.slice(eq + 1);
        continue;
      }
      const key = camelCase(w.slice(2));
      const next = words[i + 1];
      if (takesValue.has(key) && next !== undefined && !next.startsWith('--')) {
        flags[key] = next;
        i++;
      } else flags[key] = true;
    } else if (/^[A-Za-z_][\w.-]*=/.test(w)) {
      const eq = w.indexOf('=');
      pairs[w.slice(0, eq)] = w.slice(eq + 1);
    } else positionals.push(w);
  }
  return { name, positionals, flags, pairs, rest };
}
