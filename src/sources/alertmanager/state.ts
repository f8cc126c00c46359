/** The persisted state of one Alertmanager alert card (one per fingerprint; README "Alertmanager"). */
import type { AlertCore } from '../../alerts/state.ts';

export interface AmSilence {
  id: string;
  /** The clicker's name, and person id when known. */
  by: string;
  byId?: string | undefined;
  /** ISO end of the silence. */
  until: string;
}

export interface AmAlertState extends AlertCore {
  fingerprint: string;
  alertname: string;
  severity?: string | undefined;
  environment?: string | undefined;
  /** The team it was routed to (a team-only route has no product: on-call paging goes by the team). */
  team?: string | undefined;
  labels: Record<string, string>;
  summary?: string | undefined;
  description?: string | undefined;
  /** ISO: when this firing began (Alertmanager's startsAt). */
  startsAt: string;
  /** ISO: when it resolved. */
  endsAt?: string | undefined;
  generatorURL?: string | undefined;
  externalURL?: string | undefined;
  silence?: AmSilence | undefined;
  /** `status|startsAt|endsAt` of the last notification applied: the same again changes nothing. */
  occurrence: string;
  /** ms: when a silenced card last asked Alertmanager whether its alert still fires. */
  silenceCheckedAt?: number | undefined;
}

export const AM_ALERTS_COLLECTION = 'alertmanager.alerts';
export const amCardKeyOf = (fingerprint: string): string => `alertmanager:alert:${fingerprint}`;
