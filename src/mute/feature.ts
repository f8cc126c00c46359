/**
 * Quiet windows as a feature (always on: /mute works without configured windows). Provides MUTES; the
 * alert engines ask it before posting a card or paging (wired by the coordinator, see README).
 */
import { muteCommands } from '../../commands/index.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { muteMessages } from './messages.ts';
import { createMuteService, MUTES } from './service.ts';

export const muteFeature = defineFeature({
  name: 'mute',
  commands: muteCommands,
  messages: muteMessages,
  enabled: () => true,
  setup(deps) {
    for (const w of deps.config.mute) {
      if (w.product !== undefined && !deps.config.products[w.product]) deps.log.warn({ product: w.product }, 'mute: unknown product; the window matches nothing');
    }
    const mutes = createMuteService({ store: deps.store, clock: deps.clock, windows: deps.config.mute, log: deps.log.child({ feature: 'mute' }) });
    return { provides: [provide(MUTES, mutes)] };
  },
});
