/** The core's hooks (mount-source.ts, dispatch.ts) → the operational series (operational.ts). */
import type { WebhookObserver } from '../core/mount-source.ts';
import type { OperationalSeries } from './operational.ts';

export function webhookObserver(m: Pick<OperationalSeries, 'webhookDeliveries' | 'webhookProcessed' | 'webhookLag'>): WebhookObserver {
  return {
    answered: (source, outcome) => m.webhookDeliveries.inc({ source, outcome }),
    processed: (source, outcome, lagMs) => {
      m.webhookProcessed.inc({ source, outcome });
      m.webhookLag.observe({ source }, Math.max(0, lagMs) / 1000);
    },
  };
}
