/**
 * Alertmanager's API v2 (api/v2/openapi.yaml in prometheus/alertmanager; alerting-and-engines.md §1,
 * verified on 0.25): `POST /api/v2/silences` → `{silenceID}`, `DELETE /api/v2/silence/{id}` (singular),
 * `GET /api/v2/alerts?filter=…` (active alerts only: resolved ones are filtered out by the API).
 */
import { request } from 'undici';
import { z } from 'zod';
import { UpstreamError } from '../../core/errors.ts';

export interface SilenceInput {
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

const silenceCreated = z.object({ silenceID: z.string().min(1) });
const alertList = z.array(z.looseObject({ fingerprint: z.string() }));

/** A label value inside a `filter` matcher (`name="value"`): quotes and backslashes escaped. */
const quoted = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class AlertmanagerApi {
  constructor(
    private readonly base: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    // undici like every outbound client here (README "Dependencies"); the timeout bounds a hung Alertmanager.
    const res = await request(`${this.base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new UpstreamError('alertmanager', res.statusCode, text.slice(0, 200));
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** A silence matching exactly these labels (equality matchers, one per label). */
  async createSilence(s: SilenceInput): Promise<string> {
    const matchers = Object.entries(s.labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
    const r = silenceCreated.parse(await this.call('POST', '/api/v2/silences', { matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment }));
    return r.silenceID;
  }

  async expireSilence(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  /** Whether Alertmanager still holds this alert as active (firing, silenced or not). */
  async isActive(fingerprint: string, labels: Record<string, string>): Promise<boolean> {
    const q = new URLSearchParams({ active: 'true', silenced: 'true', inhibited: 'true', unprocessed: 'true' });
    if (labels.alertname !== undefined) q.append('filter', `alertname=${quoted(labels.alertname)}`);
    const list = alertList.parse(await this.call('GET', `/api/v2/alerts?${q.toString()}`));
    return list.some((a) => a.fingerprint === fingerprint);
  }
}
