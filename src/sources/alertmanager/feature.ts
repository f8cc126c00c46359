/**
 * Prometheus Alertmanager as a feature (issue 17): on with an `alertmanager:` section. The webhook is
 * mounted only with `alertmanager.token` (or basicAuth); silences need `alertmanager.url`. Rollback
 * buttons look at what the deploy feature (listed before this one) last deployed.
 */
import { alertmanagerCommands } from '../../../commands/index.ts';
import { defineFeature, provide } from '../../core/feature.ts';
import { DEPLOYS } from '../../deploy/service.ts';
import { alertPolicyDeps } from '../../alerts/policy.ts';
import { AmAlerts } from './alerts.ts';
import { AlertmanagerApi } from './api.ts';
import { alertmanagerMessages } from './messages.ts';
import { ALERTMANAGER, AlertmanagerService } from './service.ts';
import { alertmanagerSources, NOTIFICATION_EVENT } from './source.ts';

/** How often folded refreshes flush and silenced cards are checked. */
const TICK_MS = 5000;

export const alertmanagerFeature = defineFeature({
  name: 'alertmanager',
  commands: alertmanagerCommands,
  messages: alertmanagerMessages,
  enabled: (config) => config.alertmanager !== undefined,
  setup(deps) {
    const am = deps.config.alertmanager!;
    const deploys = deps.services.get(DEPLOYS);
    const api = am.url ? new AlertmanagerApi(am.url) : undefined;
    const alerts = new AmAlerts({
      ...deps,
      am,
      timers: deps.coordination.timers,
      ...alertPolicyDeps(deps),
      api,
      ...(deploys ? { currentDeploy: (product: string, env: string) => deploys.releases.current(product, env) } : {}),
    });
    const off = deps.events.on(NOTIFICATION_EVENT, (e) => alerts.onNotification(e.payload, e.deliveryId));
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      try {
        await alerts.tick();
      } catch (err) {
        deps.log.error({ err }, 'alertmanager alert tick failed');
      }
    };
    return {
      sources: alertmanagerSources(am),
      provides: [provide(ALERTMANAGER, new AlertmanagerService(alerts, api, deps.clock))],
      async start() {
        timer = setInterval(() => void tick(), TICK_MS);
        timer.unref();
      },
      async stop() {
        if (timer) clearInterval(timer);
        off();
      },
    };
  },
});
