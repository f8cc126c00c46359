/**
 * What config loading knows about secrets (hardening item 8): which keys hold one, that their values are
 * never printed (not even in a type error about them), and that a placeholder-sized credential is refused
 * at start, by YAML path.
 */
import type { ConfigProblem } from './load.ts';

export const SECRET_KEY = /secret|token|password|aeskey|authtoken|key$/i;
/** Keys whose value is a credential we check for strength (not `key$`, which also names ordinary keys). */
export const CREDENTIAL_KEY = /secret|token|password|aeskey/i;
/**
 * Shortest credential accepted. Every token/secret the platforms issue is far longer (Sentry tokens ~64,
 * GitLab PATs 26+, DingTalk AppSecret 64, WeCom Secret 43, callback Token 3–32 chosen by the admin):
 * a shorter value is a placeholder or a paste error, and a guessable one protects nothing.
 */
export const MIN_SECRET_LENGTH = 8;
/**
 * WeCom's callback Token is chosen by the admin, "英文或数字，长度为3-32" in the console, and WeCom's own
 * sample is the 6-character `QDG6eK` (chat-platforms.md, WeCom callback): 6 is the floor we accept there.
 */
const MIN_WECOM_TOKEN_LENGTH = 6;

/** The minimum for the credential at this path. */
function minimumFor(at: readonly string[]): number {
  return at[0] === 'chat' && at[1] === 'wecom' && at[at.length - 1] === 'token' ? MIN_WECOM_TOKEN_LENGTH : MIN_SECRET_LENGTH;
}

/** True when any segment of the path names a secret: its value is never printed. */
export function isSecretPath(at: readonly PropertyKey[]): boolean {
  return at.some((k) => typeof k === 'string' && SECRET_KEY.test(k));
}

/**
 * Credentials that are whitespace only or shorter than MIN_SECRET_LENGTH, by YAML path (never by value).
 * Deploy engine settings (`engine.env`, `engine.variables`) are the scripts' own data, not our credentials.
 */
export function weakSecrets(v: unknown, at: string[]): ConfigProblem[] {
  if (typeof v === 'string') {
    const key = at[at.length - 1] ?? '';
    if (!CREDENTIAL_KEY.test(key) || at.includes('engine')) return [];
    const min = minimumFor(at);
    const hint = `write the real ${key} (at least ${min} characters), e.g. as \${ENV_VAR}, or remove the key`;
    if (v.trim() === '') return [{ path: at.join('.'), message: 'is empty or only whitespace', hint }];
    if (v.trim().length < min) return [{ path: at.join('.'), message: `is too short to be a real secret (${v.trim().length} characters)`, hint }];
    return [];
  }
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => weakSecrets(x, [...at, k]));
  return [];
}

/** Every problem text with the given values replaced (longest first, so no tail of one is left). */
export function hideValues(problems: ConfigProblem[], values: string[]): ConfigProblem[] {
  const vs = [...new Set(values)].filter((x) => x.trim().length >= 4).sort((a, b) => b.length - a.length);
  const hide = (t: string) => vs.reduce((acc, x) => acc.split(x).join('[REDACTED]'), t);
  return problems.map((p) => ({ ...p, message: hide(p.message), ...(p.hint !== undefined ? { hint: hide(p.hint) } : {}) }));
}

export function collectSecrets(v: unknown, at: string[], out: string[]): void {
  if (typeof v === 'string' && SECRET_KEY.test(at[at.length - 1] ?? '')) out.push(v);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collectSecrets(x, [...at, k], out);
}


/**
 * The secret values of a validated config (values under secret keys), for a Redactor where loadConfig's
 * `secrets` list is not at hand (tests and benches calling createOpsbot with a Config). loadConfig's list
 * is a superset: it also holds every `${ENV}` value.
 */
export function secretsOf(config: unknown): string[] {
  const out: string[] = [];
  collectSecrets(config, [], out);
  return [...new Set(out.filter((s) => s.trim().length >= 4))];
}
