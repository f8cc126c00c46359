/**
 * What is firing now, from every alert source (`/alerts [product]`, and the `opsbot_alerts_open` gauge
 * read at scrape time). Each source hands its state collection and how to read severity and the start.
 */
import { serviceKey } from '../core/feature.ts';
import type { Collection } from '../store/types.ts';
import type { AlertCore } from './state.ts';

export interface OpenAlert {
  source: string;
  key: string;
  title: string;
  severity: string;
  product?: string | undefined;
  project?: string | undefined;
  /** ISO, when known. */
  since?: string | undefined;
  status: AlertCore['status'];
  silenced?: boolean | undefined;
}

/** One source's open alerts, as the board reads them. */
export interface BoardSource<S extends AlertCore = AlertCore> {
  source: string;
  states: Collection<S>;
  severityOf(s: S): string;
  sinceOf(s: S): string | undefined;
  silenced?(s: S): boolean;
}

const isOpen = (s: AlertCore): boolean => s.status === 'open' || s.status === 'acked';

/** A quiet window in force, as /alerts lists it (src/mute). */
export interface BoardMute {
  kind: 'product' | 'project';
  target: string;
  reason: string;
  by: string;
  until: number;
}

export class AlertBoard {
  constructor(
    private readonly sources: BoardSource[],
    /** The mutes in force (the mute feature), when it is there. */
    private readonly mutesInForce: () => Promise<BoardMute[]> = async () => [],
  ) {}

  /** Mutes in force now (an alert they cover is stored and listed, but posts and pages nothing). */
  mutes(): Promise<BoardMute[]> {
    return this.mutesInForce().catch(() => []);
  }

  /** Open and acknowledged alerts (not resolved, not ignored), oldest first; of one product when given. */
  async open(product?: string): Promise<OpenAlert[]> {
    const out: OpenAlert[] = [];
    for (const src of this.sources) {
      const list = await src.states.list({ filter: (s) => isOpen(s) && (product === undefined || s.product === product) });
      for (const s of list) {
        out.push({ source: src.source, key: s.key, title: s.title, severity: src.severityOf(s), product: s.product, project: s.project, since: src.sinceOf(s), status: s.status, ...(src.silenced?.(s) ? { silenced: true } : {}) });
      }
    }
    return out.sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
  }

  /** Open alerts counted by source and severity (every source appears, 0 included, so a drained one reads 0). */
  async counts(): Promise<{ source: string; severity: string; n: number }[]> {
    const tally = new Map<string, number>();
    for (const a of await this.open()) tally.set(`${a.source}\u0000${a.severity}`, (tally.get(`${a.source}\u0000${a.severity}`) ?? 0) + 1);
    return [...tally].map(([k, n]) => {
      const [source, severity] = k.split('\u0000') as [string, string];
      return { source, severity, n };
    });
  }
}

/** The board `/alerts` uses (provided by the alerts feature when any alert source is on). */
export const ALERTS = serviceKey<AlertBoard>('alerts', 'alerts.err.notConfigured');
