/** DingTalk as a feature: the adapter (Stream or HTTP robot) and its counters on /metrics. */
import { Gauge } from 'prom-client';
import { defineFeature } from '../../core/feature.ts';
import { createDingtalkAdapter } from './index.ts';
import { dingtalkMessages } from './render-card.ts';
import { ROBOT_PREFIX } from './send.ts';

export const dingtalkFeature = defineFeature({
  name: 'dingtalk',
  messages: dingtalkMessages,
  enabled: (config) => config.chat.dingtalk !== undefined,
  setup({ config, onMessage, log, store, metrics }) {
    const dt = config.chat.dingtalk!;
    const dlog = log.child({ platform: 'dingtalk' });
    // A team chat naming a robot that is not configured would only fail at send time: say so at start.
    for (const [team, t] of Object.entries(config.teams)) {
      for (const chat of t.chats) {
        if (chat.startsWith(ROBOT_PREFIX) && !Object.hasOwn(dt.robots, chat.slice(ROBOT_PREFIX.length))) {
          dlog.warn({ team, robot: chat.slice(ROBOT_PREFIX.length) }, 'dingtalk: teams.*.chats names a robot that is not under chat.dingtalk.robots; sends to it will fail');
        }
      }
    }
    const dingtalk = createDingtalkAdapter({
      config: dt,
      onMessage,
      log: dlog,
      store,
      locale: config.locale,
      people: config.people,
      // Custom robots cannot call back (§4.7): their command buttons are listed as commands to type. The
      // adapter can turn them into links (`commandUrl`) once the web console serves a page for them.
    });
    // OpenAPI calls and cards count against DingTalk's monthly quota; stream health shows reconnect trouble.
    new Gauge({
      name: 'opsbot_dingtalk',
      help: 'DingTalk adapter counters (OpenAPI calls, card creates/updates, stream attempts/connects, custom-robot sends/errors/held, mentionsUnnotified: people an @ could not reach) and stream state',
      labelNames: ['counter'],
      registers: [metrics.registry],
      collect() {
        const s = dingtalk.stats();
        for (const [k, v] of Object.entries({ ...s.api, ...(s.stream ?? {}), ...s.robots, mentionsUnnotified: s.mentionsUnnotified })) if (typeof v === 'number') this.set({ counter: k }, v);
        this.set({ counter: 'streamConnected' }, s.streamConnected ? 1 : 0);
      },
    });
    return { adapters: [dingtalk] };
  },
});
