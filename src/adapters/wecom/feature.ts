/** WeCom as a feature: the self-built app callback and the 智能机器人 (HTTP or long connection). */
import { defineFeature } from '../../core/feature.ts';
import { createWecomAdapter } from './index.ts';

export const wecomFeature = defineFeature({
  name: 'wecom',
  enabled: (config) => config.chat.wecom !== undefined,
  setup: ({ config, onMessage, log, store }) => ({
    adapters: [createWecomAdapter({ config: config.chat.wecom!, onMessage, log: log.child({ platform: 'wecom' }), store, locale: config.locale })],
  }),
});
