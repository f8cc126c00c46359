/**
 * A small message catalog: every user-facing string goes through `t(locale, key, vars)`.
 * zh-CN is the default; each feature registers its own keys (prefixed with its area).
 */
export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** A feature's strings per locale (each feature declares one; the app registers them all). */
export type Catalog = Partial<Record<Locale, Record<string, string>>>;
const catalogs: Record<Locale, Record<string, string>> = { 'zh-CN': {}, en: {} };

/** Add keys for both locales; a key present in only one falls back to the other. */
export function registerMessages(messages: Catalog): void {
  for (const locale of LOCALES) Object.assign(catalogs[locale], messages[locale] ?? {});
}

/** Translate `key`, filling `{name}` placeholders from vars. An unknown key shows itself (visible in tests). */
export function t(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
  const template = catalogs[locale][key] ?? catalogs['zh-CN'][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function hasMessage(key: string): boolean {
  return key in catalogs['zh-CN'] || key in catalogs.en;
}
