/** DingTalk as a feature: the adapter (Stream or HTTP robot) and its counters on /metrics. */
import { Gauge } from 'prom-client';
import { defineFeature } from '../../core/feature.ts';
import { createDingtalkAdapter } from './index.ts';

export const dingtalkFeature = defineFeature({
  name: 'dingtalk',
  enabled: (config) => config.chat.dingtalk !== undefined,
  setup({ config, onMessage, log, store, metrics }) {
    const dingtalk = createDingtalkAdapter({ config: config.chat.dingtalk!, onMessage, log: log.child({ platform: 'dingtalk' }), store, locale: config.locale });
    // OpenAPI calls and cards count against DingTalk's monthly quota; stream health shows reconnect trouble.
    new Gauge({
      name: 'opsbot_dingtalk',
      help: 'DingTalk adapter counters (OpenAPI calls, card creates/updates, stream attempts/connects) and stream state',
      labelNames: ['counter'],
      registers: [metrics.registry],
      collect() {
        const s = dingtalk.stats();
        for (const [k, v] of Object.entries({ ...s.api, ...(s.stream ?? {}) })) if (typeof v === 'number') this.set({ counter: k }, v);
        this.set({ counter: 'streamConnected' }, s.streamConnected ? 1 : 0);
      },
    });
    return { adapters: [dingtalk] };
  },
});
