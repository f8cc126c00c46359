import { z } from 'zod';
import { text } from '../src/core/message.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { ALERTMANAGER, AM_ACTIONS } from '../src/sources/alertmanager/service.ts';

/**
 * `/am ack|unack|silence|unsilence <alert> [1h|4h|30m]`: the Alertmanager card's buttons run these as the
 * clicker (so the silence's createdBy is them, and permission and audit follow the command path).
 */
export default defineCommand({
  name: 'am',
  summary: { 'zh-CN': '处理 Prometheus 告警：确认、静默、取消静默', en: 'Handle Prometheus alerts: ack, silence, unsilence' },
  params: ['action', 'alert', 'duration'],
  args: z.object({
    action: z.enum(AM_ACTIONS),
    alert: z.string().regex(/^[0-9a-f]{8,64}$/, { error: 'the alert id on its card (Alertmanager fingerprint, hex)' }),
    duration: z.string().regex(/^\d+(m|h|d)$/, { error: 'a duration like 1h, 4h or 30m' }).optional(),
  }),
  examples: ['/am ack 5d8f0c2a1b3e4f60', '/am silence 5d8f0c2a1b3e4f60 1h', '/am unsilence 5d8f0c2a1b3e4f60'],
  uses: { am: ALERTMANAGER },
  permission: { roles: ['oncall', 'deployer'] },
  async run(ctx) {
    const by = ctx.person ? { id: ctx.person.id, name: ctx.person.name } : { id: ctx.message.sender.id, name: ctx.message.sender.name ?? ctx.message.sender.id };
    return text(await ctx.am.act({ action: ctx.args.action, id: ctx.args.alert, by, duration: ctx.args.duration }, ctx.t));
  },
});
