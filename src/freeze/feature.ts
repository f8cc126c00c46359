/**
 * Deploy freezes as a feature (always on: /freeze works without any configured window). Listed before
 * deploy in src/features.ts; the deploy commands reach it through the FREEZES key.
 */
import { freezeCommands } from '../../commands/index.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { freezeMessages } from './messages.ts';
import { createFreezeService, FREEZES } from './service.ts';

export const freezeFeature = defineFeature({
  name: 'freeze',
  commands: freezeCommands,
  messages: freezeMessages,
  enabled: () => true,
  setup(deps) {
    const windows = deps.config.freezes;
    for (const w of windows) {
      const product = deps.config.products[w.product];
      if (!product) deps.log.warn({ product: w.product }, 'freezes: unknown product; the window matches nothing');
      else if (w.env && !product.environments[w.env]) deps.log.warn({ product: w.product, env: w.env }, 'freezes: unknown environment; the window matches nothing');
    }
    const freezes = createFreezeService({ store: deps.store, clock: deps.clock, windows, log: deps.log.child({ feature: 'freeze' }) });
    return { provides: [provide(FREEZES, freezes)] };
  },
});
