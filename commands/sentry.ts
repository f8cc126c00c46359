import { z } from 'zod';
import { text } from '../src/core/message.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { SENTRY, SENTRY_ACTIONS } from '../src/sources/sentry/service.ts';

/**
 * `/sentry ack|unack|resolve|unresolve|ignore|assign <issueId> [person|30m|24h|100x|forever]`: the alert
 * card's buttons run these as the clicker, so permission and audit follow the normal command path.
 */
export default defineCommand({
  name: 'sentry',
  summary: { 'zh-CN': '处理 Sentry 告警：确认、解决、忽略、指派', en: 'Handle Sentry alerts: ack, resolve, ignore, assign' },
  params: ['action', 'issueId', 'target'],
  args: z.object({
    action: z.enum(SENTRY_ACTIONS),
    issueId: z.string().regex(/^(\d+|metric:[\w-]+)$/, { error: 'a numeric Sentry issue id (or metric:<ruleId>)' }),
    target: z.string().optional(),
  }),
  examples: ['/sentry ack 1170820242', '/sentry resolve 1170820242', '/sentry ignore 1170820242 24h', '/sentry assign 1170820242 me'],
  uses: { sentry: SENTRY },
  permission: { roles: ['oncall', 'deployer'] },
  async run(ctx) {
    const { sentry } = ctx;
    const by = ctx.person ? { id: ctx.person.id, name: ctx.person.name } : { id: ctx.message.sender.id, name: ctx.message.sender.name ?? ctx.message.sender.id };
    const done = await sentry.act({ action: ctx.args.action, issueId: ctx.args.issueId, by, ...(ctx.args.target ? { target: ctx.args.target } : {}) }, ctx.t);
    return text(done);
  },
});
