import { z } from 'zod';
import { releasesCard } from '../cards/releases.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'releases',
  aliases: ['版本'],
  summary: { 'zh-CN': '列出产品的版本及其组件版本', en: 'List the releases of a product with their component versions' },
  params: ['product'],
  args: z.object({ product: z.string().min(1) }),
  examples: ['/releases demo'],
  uses: { deploys: DEPLOYS },
  permission: 'anyone',
  async run(ctx) {
    const { deploys } = ctx;
    const { product } = ctx.args;
    const list = await deploys.releases.list(product);
    const current: Record<string, string> = {};
    for (const env of deploys.model.environmentIds(product)) {
      const rec = await deploys.releases.current(product, env);
      if (rec) current[env] = rec.release;
    }
    return cardReply(releasesCard(product, list, ctx.t, { current }));
  },
});
