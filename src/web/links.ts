/**
 * Links from chat cards to console pages (issue 20 §2). Other features reach this through the
 * CARD_LINKS key only (no import of the console): absent when `web` is off, and `details` is undefined
 * when `server.publicUrl` is not set, so a card simply has no link then.
 */
import type { Card, DetailsLink } from '../../cards/model.ts';
import { serviceKey } from '../core/feature.ts';
import { signedPath } from './signing.ts';

export interface CardLinks {
  /** A signed, expiring, read-only absolute URL for exactly this console path (`/ui/tasks/12`). */
  pageUrl(path: string): string | undefined;
  /** The "查看详情 / Details" link of a card for this path. */
  details(path: string): DetailsLink | undefined;
}

export const CARD_LINKS = serviceKey<CardLinks>('web.links');

/** Console paths, encoded once here so a signature and the route that checks it agree. */
export const taskPagePath = (id: string): string => `/ui/tasks/${encodeURIComponent(id)}`;
export const alertPagePath = (key: string): string => `/ui/alerts/${encodeURIComponent(key)}`;

/** The card with its details link, when there is one (for the alert card: `withDetails(card, links, alertPagePath(key))`). */
export function withDetails(card: Card, links: CardLinks | undefined, path: string): Card {
  const details = links?.details(path);
  return details ? { ...card, details } : card;
}

export function createCardLinks(o: { secret: string; publicUrl: string | undefined; ttlMs: number; clock: () => number; label: string }): CardLinks {
  const base = o.publicUrl?.replace(/\/+$/, '');
  const pageUrl = (path: string) => (base ? base + signedPath(o.secret, path, o.clock(), o.ttlMs) : undefined);
  return {
    pageUrl,
    details(path) {
      const url = pageUrl(path);
      return url ? { label: o.label, url } : undefined;
    },
  };
}
