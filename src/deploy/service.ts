/**
 * The deploy feature's facade (issue 4): plan, enqueue, rollback, cancel, status, list, recover,
 * stop. Commands reach it through the DEPLOYS key; feature.ts creates it with createDeployService().
 */
import { UserFacingError } from '../core/errors.ts';
import { t as translate, type Locale } from '../core/i18n.ts';
import { cardReply, type IncomingMessage } from '../core/message.ts';
import type { CoreDeps } from '../core/services.ts';
import type { Card } from '../../cards/model.ts';
import { deployTaskCard } from '../../cards/deploy-task.ts';
import { CARD_LINKS, taskPagePath, withDetails } from '../web/links.ts';
import { FREEZES } from '../freeze/service.ts';
import { defaultDeployConfig, deployConfigSchema, type DeployConfig, type ProductsConfig } from './config.ts';
import { ENGINES, engineDeclaration } from './engines/index.ts';
import type { Engine } from './engines/types.ts';
import { serviceKey, type ServiceLookup } from '../core/feature.ts';
import { DeployModel } from './model.ts';
import { computeChanges, type DeployPlan, type ProductStatus } from './plan.ts';
import { ProgressThrottle } from './progress.ts';
import { ReleaseRegistry } from './releases.ts';
import { TaskRunner } from './runner.ts';
import type { DeployQueue } from './queue.ts';
import { awaitingApproval, isTerminal, laneOf, TaskRepo, type DeployTask } from './tasks.ts';

export interface TaskRequest {
  product: string;
  env: string;
  requestedBy: { id: string; name: string };
  /** The chat message (or click) asking: its chat gets the card; its id makes the request idempotent. */
  message: Pick<IncomingMessage, 'id' | 'chat'> & Partial<IncomingMessage>;
  /** An admin overrode a freeze when asking (audited by the command): the start gate lets it through. */
  freezeOverride?: boolean;
}

export interface DeployService {
  readonly model: DeployModel;
  readonly releases: ReleaseRegistry;
  plan(product: string, release: string, env: string): Promise<DeployPlan>;
  enqueue(req: TaskRequest & { release: string }): Promise<{ task: DeployTask; created: boolean }>;
  /** `to` defaults to the release that ran on the environment before the current one. */
  rollback(req: TaskRequest & { to?: string }): Promise<{ task: DeployTask; created: boolean }>;
  cancel(id: string, by: string): Promise<DeployTask>;
  /** Second-person approval: `by.id` must be one of the environment's approvers and not the requester. */
  approve(id: string, by: { id: string; name: string }): Promise<DeployTask>;
  status(product?: string): Promise<ProductStatus[]>;
  list(product?: string, limit?: number): Promise<DeployTask[]>;
  get(id: string): Promise<DeployTask | undefined>;
  logTail(id: string, lines?: number): Promise<string[]>;
  /** The task's card as it looks now. */
  taskCard(task: DeployTask, locale?: Locale): Promise<Card>;
  /** Send the task's card again (a repeated command shows the existing task). */
  showTask(id: string, inReplyTo?: IncomingMessage): Promise<void>;
  recover(): Promise<void>;
  stop(): Promise<void>;
  /** Tests: wait until nothing runs. */
  idle(ms?: number): Promise<void>;
}

/** The deploy service the deploy commands use (commands/deploy.ts and friends). */
export const DEPLOYS = serviceKey<DeployService>('deploys', 'deploy.error.notConfigured');

export interface DeployServiceOptions {
  /** Default: `services.config.products`. */
  products?: ProductsConfig;
  /** Default: `services.config.deploy` parsed with deployConfigSchema. */
  config?: Partial<DeployConfig>;
  /** Services of earlier features, for the engines (the GitLab client for gitlab-pipeline). */
  services?: ServiceLookup;
  /** Replace engines by type (tests). */
  engines?: Partial<Record<DeployTask['engine'], Engine>>;
  /** Several replicas on one database: the shared queue schedules the tasks (queue.ts). */
  queue?: DeployQueue;
  /** Task log lines are redacted with this (default: `services.redactor`, else none). */
  redact?: (line: string) => string;
}

function readConfig(services: CoreDeps, given?: Partial<DeployConfig>): DeployConfig {
  const raw = given ?? (services.config as { deploy?: unknown } | undefined)?.deploy ?? {};
  const parsed = deployConfigSchema.safeParse(raw);
  return parsed.success ? parsed.data : { ...defaultDeployConfig, ...(raw as Partial<DeployConfig>) };
}

export function createDeployService(services: CoreDeps, opts: DeployServiceOptions = {}): DeployService {
  const locale = services.locale;
  const tr = (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
  const config = readConfig(services, opts.config);
  const products = opts.products ?? (services.config.products as ProductsConfig);
  const model = new DeployModel(products, locale);
  const releases = new ReleaseRegistry(model, services.store, locale, config.historySize);
  const repo = new TaskRepo(services.store);
  const replyTo = new Map<string, IncomingMessage>();
  const redact = opts.redact ?? services.redactor?.text;

  const lookup: ServiceLookup = opts.services ?? { get: () => undefined };
  const engines: Record<string, Engine> = {};
  for (const d of ENGINES) engines[d.type] = opts.engines?.[d.type] ?? d.create({ config, events: services.events, clock: services.clock, services: lookup });

  const logTail = (id: string, n = 6) => services.store.readLog(id, { tail: n });
  // The card's "查看详情 / Details" link, when the web console is on (looked up at card time: the web
  // feature is set up after this one).
  const taskCard = async (task: DeployTask, loc: Locale = locale) =>
    withDetails(deployTaskCard({ task, logTail: await logTail(task.id), now: services.clock() }, (k, v) => translate(loc, k, v)), lookup.get(CARD_LINKS), taskPagePath(task.id));

  const sendCard = async (id: string) => {
    const task = await repo.get(id);
    if (!task) return;
    const inReplyTo = replyTo.get(id);
    await services.outbox.send({ to: task.chat, reply: cardReply(await taskCard(task)), cardKey: `task:${id}`, ...(inReplyTo ? { inReplyTo } : {}) });
    if (isTerminal(task.state)) replyTo.delete(id);
  };
  const progress = new ProgressThrottle(config.progressThrottleMs, services.clock, sendCard, (err) =>
    services.log.warn({ err }, 'deploy: progress card failed'),
  );
  // A freeze set while a task waited in the queue still holds when it would start (issue 18 §4): the
  // FREEZES service (the freeze feature, set up before this one) is asked again at start.
  const startGate = async (t: DeployTask): Promise<string | undefined> => {
    const freezes = lookup.get(FREEZES);
    if (!freezes || t.freezeOverride) return undefined;
    const f = await freezes.blocking({ product: t.product, env: t.env, kind: t.kind, at: services.clock() });
    return f ? tr('deploy.error.frozenAtStart', { reason: f.reason, by: f.by, until: new Date(f.until).toISOString() }) : undefined;
  };
  const runner = new TaskRunner({
    repo, store: services.store, model, releases, engines, capabilities: (type) => engineDeclaration(type).capabilities, progress, events: services.events, log: services.log, clock: services.clock, config,
    ...(opts.queue ? { queue: opts.queue } : {}),
    ...(redact ? { redact } : {}),
    startGate,
  });

  async function create(req: TaskRequest, release: string, kind: DeployTask['kind']) {
    if (runner.stopping) throw new UserFacingError('E_CONFLICT', tr('deploy.error.stopping'));
    const env = model.environment(req.product, req.env);
    const rel = await releases.get(req.product, release);
    const current = await releases.current(req.product, req.env);
    const res = await repo.create({
      product: req.product,
      release: rel.version,
      env: req.env,
      kind,
      components: rel.components,
      ...(current ? { previousRelease: current.release } : {}),
      requestedBy: req.requestedBy,
      ...(req.freezeOverride ? { freezeOverride: true } : {}),
      chat: req.message.chat,
      messageId: req.message.id,
      engine: env.engine.type,
      createdAt: services.clock(),
      ...(env.approvers?.length ? { approval: { approvers: env.approvers } } : {}),
    });
    if (res.created) {
      await opts.queue?.submit(res.task, awaitingApproval(res.task));
      if (req.message.platform) replyTo.set(res.task.id, req.message as IncomingMessage);
      await progress.force(res.task.id);
      void runner.pump();
    }
    return res;
  }

  return {
    model,
    releases,
    async plan(product, release, env) {
      const p = model.product(product);
      const e = model.environment(product, env);
      const rel = await releases.get(product, release);
      const current = await releases.current(product, env);
      return {
        product,
        release: rel.version,
        env,
        protected: e.protected === true,
        engine: e.engine.type,
        ...(current ? { currentRelease: current.release } : {}),
        changes: computeChanges(p.components, rel.components, current?.components),
      };
    },
    enqueue: (req) => create(req, req.release, 'deploy'),
    async rollback(req) {
      model.environment(req.product, req.env);
      const to = req.to ?? (await releases.rollbackTarget(req.product, req.env));
      if (!to) throw new UserFacingError('E_NOT_FOUND', tr('deploy.error.noRollbackTarget', { product: req.product, env: req.env }));
      return create(req, to, 'rollback');
    },
    async cancel(id, by) {
      const task = await repo.get(id.replace(/^#/, ''));
      if (!task) throw new UserFacingError('E_NOT_FOUND', tr('deploy.error.unknownTask', { id }));
      if (isTerminal(task.state)) {
        throw new UserFacingError('E_CONFLICT', tr('deploy.error.taskFinished', { id: task.id, state: tr(`deploy.state.${task.state}`) }));
      }
      return (await runner.cancel(task, by)) ?? task;
    },
    async approve(id, by) {
      const task = await repo.get(id.replace(/^#/, ''));
      if (!task) throw new UserFacingError('E_NOT_FOUND', tr('deploy.error.unknownTask', { id }));
      if (!task.approval || task.state !== 'waiting' || task.approval.approvedBy) {
        throw new UserFacingError('E_CONFLICT', tr('deploy.error.noApprovalNeeded', { id: task.id }));
      }
      if (by.id === task.requestedBy.id) throw new UserFacingError('E_PERMISSION', tr('deploy.error.selfApproval'));
      if (!task.approval.approvers.includes(by.id)) {
        throw new UserFacingError('E_PERMISSION', tr('deploy.error.notApprover', { approvers: task.approval.approvers.join(', ') }));
      }
      const t = await repo.patch(task.id, (cur) => ({ approval: { approvers: cur.approval?.approvers ?? [], approvedBy: by.name } }));
      await opts.queue?.release(task.id);
      await progress.force(task.id);
      void runner.pump();
      return t ?? task;
    },
    async status(product) {
      const ids = product ? [(model.product(product), product)] : model.productIds();
      const recent = await repo.list();
      const out: ProductStatus[] = [];
      for (const pid of ids) {
        const envs = [];
        for (const env of model.environmentIds(pid)) {
          const current = await releases.current(pid, env);
          const lastTask = recent.find((t) => laneOf(t) === `${pid}/${env}`);
          envs.push({ env, protected: model.environment(pid, env).protected === true, ...(current ? { current } : {}), ...(lastTask ? { lastTask } : {}) });
        }
        out.push({ product: pid, environments: envs });
      }
      return out;
    },
    list(product, limit = 20) {
      if (product) model.product(product);
      return repo.list(product ? (t) => t.product === product : undefined, limit);
    },
    get: (id) => repo.get(id.replace(/^#/, '')),
    logTail,
    taskCard,
    async showTask(id, inReplyTo) {
      if (inReplyTo) replyTo.set(id, inReplyTo);
      await progress.force(id);
    },
    recover: () => runner.recover(),
    stop: () => runner.stop(),
    idle: (ms) => runner.idle(ms),
  };
}
