/** Shared formatting for the metrics cards (stats, digest): durations, ratios, trend arrows. */

/** ms → `3d 4h`, `2h 5m`, `12m`, `40s` (two units at most: a figure to compare, not a timestamp). */
export function formatDuration(ms: number | undefined, none: string): string {
  if (ms === undefined) return none;
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  if (m) return `${m}m`;
  return `${s}s`;
}

/** 0.25 → `25%`, one decimal when it is not whole. */
export function formatRatio(r: number | undefined, none: string): string {
  if (r === undefined) return none;
  const pct = Math.round(r * 1000) / 10;
  return `${pct}%`;
}

/** `↑` / `↓` / `→` against the previous value (undefined on either side: no arrow). */
export function trendArrow(now: number | undefined, before: number | undefined): string {
  if (now === undefined || before === undefined) return '';
  return now > before ? '↑' : now < before ? '↓' : '→';
}

/** Per-day rate with up to two decimals (`0.43`, `2`). */
export const formatRate = (n: number): string => String(Math.round(n * 100) / 100);

/** Epoch ms → `YYYY-MM-DD` in UTC (the digest's date range). */
export const formatDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
