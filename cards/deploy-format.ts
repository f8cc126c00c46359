/** Small pure formatters shared by the deploy cards. */
import type { DeployTask } from '../src/deploy/tasks.ts';
import type { Card } from './model.ts';
import type { Translate } from './translate.ts';

/** `75000` → `1m15s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** UTC minute precision: `2026-11-23 10:51Z` (chats span time zones; UTC is unambiguous). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

export const stateTone: Record<DeployTask['state'], NonNullable<Card['tone']>> = {
  waiting: 'info',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'warning',
  interrupted: 'warning',
};

export const stateLabel = (task: Pick<DeployTask, 'state'>, t: Translate): string => t(`deploy.state.${task.state}`);
export const kindLabel = (task: Pick<DeployTask, 'kind'>, t: Translate): string => t(`deploy.kind.${task.kind}`);
