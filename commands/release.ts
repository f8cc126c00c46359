import { z } from 'zod';
import { releaseCreatedCard } from '../cards/releases.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS, requester } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'release',
  summary: {
    'zh-CN': '创建版本：写出要改的组件版本，其余沿用最新版本',
    en: 'Create a release: name the component versions that change, the rest come from the latest release',
  },
  params: ['action', 'product', 'version'],
  args: z.object({
    action: z.enum(['create']),
    product: z.string().min(1),
    version: z.string().min(1),
    pairs: z.record(z.string(), z.string()).default({}),
  }),
  examples: ['/release create demo v1.2.0 component-a=v1.2.0'],
  // `deployer:<product>` holders may run it on that product only (permissions.ts canOn).
  uses: { deploys: DEPLOYS },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  async run(ctx) {
    const { deploys } = ctx;
    const { product, version, pairs } = ctx.args;
    const r = await deploys.releases.create(product, version, pairs, requester(ctx).name, ctx.clock());
    return cardReply(releaseCreatedCard(r, ctx.t));
  },
});
