import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS, requester } from '../src/deploy/command-helpers.ts';
import { FREEZES } from '../src/freeze/service.ts';
import { DEFAULT_ZONE, formatLocal, parseDuration } from '../src/oncall/zoned-time.ts';

export default defineCommand({
  name: 'freeze',
  aliases: ['冻结'],
  summary: { 'zh-CN': '冻结产品（或某个环境）的发布一段时间', en: 'Freeze deploys of a product (or one environment) for a while' },
  // `[env] <duration> <reason...>`: the env is optional in the middle, so the words are read here.
  params: ['product', 'words...'],
  args: z.object({ product: z.string().min(1), words: z.array(z.string()).min(2), noRollback: z.boolean().optional() }),
  examples: ['/freeze demo prod 2h 发布窗口外', '/freeze demo 1d release week', '/freeze demo prod 3h incident --no-rollback'],
  uses: { freezes: FREEZES, deploys: DEPLOYS },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  async run(ctx) {
    const { product, words, noRollback } = ctx.args;
    ctx.deploys.model.product(product); // an unknown product answers with the valid ones
    const [first = '', ...more] = words;
    const envGiven = parseDuration(first) === undefined;
    const env = envGiven ? first : undefined;
    if (env !== undefined) ctx.deploys.model.environment(product, env);
    const [durationText = '', ...reasonWords] = envGiven ? more : words;
    const durationMs = parseDuration(durationText);
    if (durationMs === undefined) throw new UserFacingError('E_USAGE', ctx.t('freeze.error.badDuration', { value: durationText || '-' }));
    if (reasonWords.length === 0) throw new UserFacingError('E_USAGE', ctx.t('freeze.error.noReason'));
    const by = requester(ctx);
    const f = await ctx.freezes.freeze({ product, env, durationMs, reason: reasonWords.join(' '), by, allowRollback: !noRollback });
    const target = env ? `${product} ${env}` : product;
    const body = ctx.t('freeze.set.body', {
      until: formatLocal(DEFAULT_ZONE, f.until),
      reason: f.reason,
      by: by.name,
      rollback: ctx.t(f.allowRollback ? 'freeze.set.rollbackAllowed' : 'freeze.set.rollbackBlocked'),
    });
    return cardReply(noticeCard(ctx.t('freeze.set.title', { target }), 'warning', body));
  },
});
