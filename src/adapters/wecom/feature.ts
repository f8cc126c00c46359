/** WeCom as a feature: the self-built app callback and the 智能机器人 (HTTP or long connection), and its health on /metrics. */
import { Gauge } from 'prom-client';
import { defineFeature } from '../../core/feature.ts';
import { createWecomAdapter } from './index.ts';

export const wecomFeature = defineFeature({
  name: 'wecom',
  enabled: (config) => config.chat.wecom !== undefined,
  setup({ config, onMessage, log, store, metrics }) {
    const wecom = createWecomAdapter({ config: config.chat.wecom!, onMessage, log: log.child({ platform: 'wecom' }), store, locale: config.locale });
    // aibotDown = 1 while another process holds the bot (disconnected_event) and we wait out the pause.
    new Gauge({
      name: 'opsbot_wecom',
      help: 'WeCom adapter state: aibotSubscribed, aibotDown (taken over by another connection), aibotTakeovers',
      labelNames: ['counter'],
      registers: [metrics.registry],
      collect() {
        const a = wecom.stats().aibot;
        if (!a) return;
        this.set({ counter: 'aibotSubscribed' }, a.subscribed ? 1 : 0);
        this.set({ counter: 'aibotDown' }, a.down ? 1 : 0);
        this.set({ counter: 'aibotTakeovers' }, a.takeovers);
      },
    });
    return { adapters: [wecom] };
  },
});
