/** DingTalk as a feature: the adapter (Stream or HTTP robot) and its counters on /metrics. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { text } from '../../core/message.ts';
import { defineFeature } from '../../core/feature.ts';
import { createDingtalkAdapter } from './index.ts';
import { dingtalkMessages } from './render-card.ts';
import { ROBOT_PREFIX } from './send.ts';

export const dingtalkFeature = defineFeature({
  name: 'dingtalk',
  messages: dingtalkMessages,
  enabled: (config) => config.chat.dingtalk !== undefined,
  setup({ config, onMessage, log, store, metrics, outbox }) {
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
    // contract.md: platform metrics shared with other chat platforms (created by whichever comes first).
    const calls = shared(metrics.registry, 'opsbot_platform_calls_total', () => new Counter({ name: 'opsbot_platform_calls_total', help: 'Metered platform API calls made by this process (DingTalk: OpenAPI calls counted against the monthly quota)', labelNames: ['platform'], registers: [metrics.registry] }));
    const month = shared(metrics.registry, 'opsbot_platform_calls_month', () => new Gauge({ name: 'opsbot_platform_calls_month', help: 'Metered platform API calls this calendar month (DingTalk: persisted, all replicas; Asia/Shanghai month)', labelNames: ['platform'], registers: [metrics.registry], collect: refresh }));
    const remaining = shared(metrics.registry, 'opsbot_platform_quota_remaining', () => new Gauge({ name: 'opsbot_platform_quota_remaining', help: 'Metered platform API calls left this month; -1 = unlimited', labelNames: ['platform'], registers: [metrics.registry], collect: refresh }));
    calls.inc({ platform: 'dingtalk' }, 0);
    const adminChat = config.chat.adminChat;
    const dingtalk = createDingtalkAdapter({
      onApiCall: () => calls.inc({ platform: 'dingtalk' }),
      ...(adminChat
        ? {
            onQuotaWarning: (t: string) => {
              outbox.send({ to: adminChat, reply: text(t) }).catch((err: unknown) => dlog.warn({ err: (err as Error).message }, 'dingtalk: quota warning to chat.adminChat not sent'));
            },
          }
        : {}),
      config: dt,
      onMessage,
      log: dlog,
      store,
      locale: config.locale,
      people: config.people,
      publicUrl: config.server.publicUrl,
      // Custom robots cannot call back (§4.7): their command buttons are listed as commands to type. The
      // adapter can turn them into links (`commandUrl`) once the web console serves a page for them.
    });
    function refresh(): void {
      const q = dingtalk.stats().quota;
      month.set({ platform: 'dingtalk' }, q.calls);
      remaining.set({ platform: 'dingtalk' }, q.remaining ?? -1);
    }
    // OpenAPI calls and cards count against DingTalk's monthly quota; stream health shows reconnect trouble.
    new Gauge({
      name: 'opsbot_dingtalk',
      help: 'DingTalk adapter counters (OpenAPI calls, card creates/updates, stream attempts/connects, custom-robot sends/errors/held, mentionsUnnotified: people an @ could not reach) and stream state',
      labelNames: ['counter'],
      registers: [metrics.registry],
      collect() {
        const s = dingtalk.stats();
        const own = { mentionsUnnotified: s.mentionsUnnotified, cardRefreshesThrottled: s.cardRefreshesThrottled, quotaRobotFallbacks: s.quotaRobotFallbacks };
        for (const [k, v] of Object.entries({ ...s.api, ...(s.stream ?? {}), ...s.robots, ...own })) if (typeof v === 'number') this.set({ counter: k }, v);
        this.set({ counter: 'streamConnected' }, s.streamConnected ? 1 : 0);
        refresh(); // in case another platform created the shared gauges (their collect is not ours)
      },
    });
    return { adapters: [dingtalk] };
  },
});

/** The registry's metric of that name, else a new one (platform metrics are shared between adapters). */
function shared<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
