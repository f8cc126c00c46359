/**
 * What `/am …` (and the card buttons) do (issue 17 §4): Ack stops escalation (opsbot-side; Alertmanager
 * has no ack); Silence creates a silence through API v2 with one equality matcher per label of that
 * alert, `createdBy` the clicker and a comment naming opsbot, and the card shows it; Unsilence expires
 * it (`DELETE /api/v2/silence/{id}`). If Alertmanager refuses, the clicker sees why and the card stays.
 */
import { serviceKey } from '../../core/feature.ts';
import { UpstreamError, UserFacingError } from '../../core/errors.ts';
import type { AmAlerts } from './alerts.ts';
import type { AlertmanagerApi } from './api.ts';
import type { AmAlertState } from './state.ts';

export const AM_ACTIONS = ['ack', 'unack', 'silence', 'unsilence'] as const;
export type AmAction = (typeof AM_ACTIONS)[number];
type T = (key: string, vars?: Record<string, string | number>) => string;

/** Longest silence a button or command may set. */
const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

/** `1h`, `4h`, `30m`, `2d` → ms; undefined when malformed or out of range. */
export function parseSilenceDuration(spec: string | undefined): number | undefined {
  const m = /^(\d+)(m|h|d)$/.exec(spec ?? '1h');
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000);
  return ms > 0 && ms <= MAX_SILENCE_MS ? ms : undefined;
}

export interface AmActInput {
  action: AmAction;
  /** The alert's fingerprint (the card's key). */
  id: string;
  by: { id: string; name: string };
  /** silence: `1h`, `4h`, … (default 1h). */
  duration?: string | undefined;
}

export class AlertmanagerService {
  constructor(
    readonly alerts: AmAlerts,
    private readonly api: AlertmanagerApi | undefined,
    private readonly clock: () => number,
  ) {}

  async act(input: AmActInput, t: T): Promise<string> {
    const { id, by } = input;
    const s = await this.alerts.states.get(id);
    if (!s) throw new UserFacingError('E_NOT_FOUND', t('am.err.unknown', { alert: id }));
    const say = (key: string, vars: Record<string, string | number> = {}): string => t(`am.cmd.done.${key}`, { who: by.name, alert: s.alertname, ...vars });
    const record = (fn: (x: AmAlertState) => void, line: string): Promise<AmAlertState | undefined> =>
      this.alerts.change(id, (x) => {
        fn(x);
        x.history.push(line);
      });
    switch (input.action) {
      case 'ack': {
        const text = say('ack');
        await record((x) => {
          if (x.status === 'resolved') return;
          x.status = 'acked';
          x.statusBy = by.name;
        }, text);
        return text;
      }
      case 'unack': {
        const text = say('unack');
        await record((x) => {
          if (x.status !== 'acked') return;
          x.status = 'open';
          delete x.statusBy;
        }, text);
        return text;
      }
      case 'silence': {
        if (!this.api) throw new UserFacingError('E_USAGE', t('am.err.noUrl'));
        if (s.status === 'resolved') throw new UserFacingError('E_USAGE', t('am.err.resolved', { alert: s.alertname }));
        const ms = parseSilenceDuration(input.duration);
        if (ms === undefined) throw new UserFacingError('E_USAGE', t('am.err.badDuration'));
        const now = this.clock();
        const until = new Date(now + ms).toISOString();
        const duration = input.duration ?? '1h';
        const silenceId = await this.call(
          () =>
            this.api!.createSilence({
              labels: s.labels,
              startsAt: new Date(now).toISOString(),
              endsAt: until,
              createdBy: by.name,
              comment: `opsbot: silenced from chat by ${by.name} (${by.id}) for ${duration}`,
            }),
          t,
        );
        const previous = s.silence?.id;
        const text = say('silence', { duration, id: silenceId });
        await record((x) => {
          x.silence = { id: silenceId, by: by.name, byId: by.id, until };
          delete x.silenceCheckedAt;
          // Silencing is taking the alert: it also acknowledges (stops escalation), as the "an Ack that creates a silence".
          if (x.status === 'open') {
            x.status = 'acked';
            x.statusBy = by.name;
          }
        }, text);
        // A second click replaces the first silence: keep exactly one per alert.
        if (previous && previous !== silenceId) await this.api.expireSilence(previous).catch(() => undefined);
        return text;
      }
      case 'unsilence': {
        if (!this.api) throw new UserFacingError('E_USAGE', t('am.err.noUrl'));
        if (!s.silence) throw new UserFacingError('E_USAGE', t('am.err.notSilenced', { alert: s.alertname }));
        const silenceId = s.silence.id;
        await this.call(() => this.api!.expireSilence(silenceId), t);
        const text = say('unsilence');
        await record((x) => void delete x.silence, text);
        return text;
      }
    }
  }

  private async call<R>(fn: () => Promise<R>, t: T): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UpstreamError) throw new UserFacingError('E_UPSTREAM', t('am.err.upstream', { reason: `HTTP ${err.status}` }));
      throw new UserFacingError('E_UPSTREAM', t('am.err.upstream', { reason: (err as Error).message }));
    }
  }
}

/** The Alertmanager service the `/am` command uses (provided by the Alertmanager feature). */
export const ALERTMANAGER = serviceKey<AlertmanagerService>('alertmanager', 'am.err.notConfigured');
