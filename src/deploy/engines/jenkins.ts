/**
 * The `jenkins` engine: trigger a parameterized job (`buildWithParameters`), follow its queue item to
 * the build, copy the build's console into the task log, and end with the build's result
 * (alerting-and-engines.md §3). The run lives on Jenkins: shutdown only lets go of it, and a restart
 * (or another replica) re-attaches to the recorded queue item or build, never triggering a second one.
 */
import { startPolling, type PollLoop } from './poll.ts';
import { z } from 'zod';
import { patternRedactor } from '../../core/redact.ts';
import { componentEnvName } from '../model.ts';
import { mapBuildResult, renderTemplate, templateProblems } from './jenkins-templates.ts';
import { createJenkinsApi, JenkinsHttpError, type JenkinsApi } from './jenkins-api.ts';
import { defineEngine, deployVariables, triggeredRun, type Engine, type EngineContext, type EngineResult, type EngineRun } from './types.ts';

const RESULTS = ['SUCCESS', 'UNSTABLE'] as const;

const configSchema = z.strictObject({
  type: z.literal('jenkins'),
  /** The Jenkins root URL (`https://jenkins.example.com`, or with a context path). */
  url: z.string().regex(/^https?:\/\/[^/]/, { error: 'must be an http(s) URL, e.g. https://jenkins.example.com' }),
  /** Full job name; folders with `/` (`team/deploy-demo` → `/job/team/job/deploy-demo`). */
  job: z.string().regex(/^[^/]+(\/[^/]+)*$/, { error: 'a job name, folders separated by single slashes: team/deploy-demo' }),
  user: z.string().min(1, { error: 'must not be empty' }),
  /** The user's API token (basic auth). With a token, Jenkins 2.96+ needs no CSRF crumb. */
  token: z.string().min(1, { error: 'must not be empty' }),
  /** Jenkins parameter → template with {product}, {release}, {env}, {version:<component>}. OPSBOT_* are always sent. */
  parameters: z.record(z.string().min(1), z.string()).optional(),
  /** Build results that count as a successful deploy (default [SUCCESS]). */
  successResults: z.array(z.enum(RESULTS)).min(1, { error: 'list at least one result, e.g. [SUCCESS]' }).optional(),
});

export type JenkinsEngineConfig = z.infer<typeof configSchema>;

export { mapBuildResult, renderTemplate, templateProblems } from './jenkins-templates.ts';

const CONSOLE_NOTE = /\x1b\[8mha:[^\x1b]*\x1b\[0m/g; // eslint-disable-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g; // eslint-disable-line no-control-regex

export interface JenkinsEngineOptions {
  /** First poll interval; it backs off ×1.5 up to `maxPollIntervalMs` while nothing moves. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  clock?: () => number;
  /** The client for an `engine:` config (tests); default createJenkinsApi. */
  api?: (cfg: JenkinsEngineConfig) => JenkinsApi;
  /** Console lines longer than this are cut. */
  maxLineLength?: number;
}

type Phase = { kind: 'queued'; queueId: number } | { kind: 'build'; number: number; url: string };

export function createJenkinsEngine(opts: JenkinsEngineOptions): Engine {
  const clock = opts.clock ?? Date.now;
  const maxLine = opts.maxLineLength ?? 2000;
  const stamp = (line: string) => `${new Date(clock()).toISOString()} ${line}`;
  // One client per instance and user, so a fetched crumb and its session cookie are reused.
  const clients = new Map<string, JenkinsApi>();
  const client = (cfg: JenkinsEngineConfig) => {
    const key = JSON.stringify([cfg.url, cfg.user, cfg.token]);
    let api = clients.get(key);
    if (!api) clients.set(key, (api = opts.api?.(cfg) ?? createJenkinsApi({ url: cfg.url, user: cfg.user, token: cfg.token })));
    return api;
  };

  /** Follow a queue item or build to its end; `cursor`: the console offset already in the task log. */
  function follow(ctx: EngineContext, cfg: JenkinsEngineConfig, api: JenkinsApi, start: Phase, cursor: number): EngineRun {
    const clean = patternRedactor.with([cfg.token]).text;
    const log = (line: string) => ctx.hooks.log([stamp(clean(line))]);
    let finish!: (r: EngineResult) => void;
    const done = new Promise<EngineResult>((r) => (finish = r));
    let phase = start;
    let over = false;
    let cancelAsked = false;
    /** The phase a cancel was sent for (`queue:<id>` / `build:<n>`): a queue item that became a build needs a stop too. */
    let cancelSentFor: string | undefined;
    let lastWhy = '';
    let offset = cursor;
    let persisted = cursor;
    let rest = Buffer.alloc(0);
    let loop: PollLoop | undefined;
    const id = () => (phase.kind === 'queued' ? `queue:${phase.queueId}` : `build:${phase.number}`);

    const end = (r: EngineResult) => {
      if (over) return;
      over = true;
      loop?.stop();
      finish(r);
    };

    async function sendCancel() {
      const target = id();
      if (over || cancelSentFor === target) return;
      cancelSentFor = target;
      try {
        if (phase.kind === 'queued') {
          await api.cancelQueueItem(phase.queueId);
          log(`cancel: asked Jenkins to cancel queue item ${phase.queueId}`);
        } else {
          await api.stopBuild(cfg.job, phase.number);
          log(`cancel: asked Jenkins to stop build #${phase.number}; waiting for it to end ABORTED`);
        }
      } catch (err) {
        if (cancelSentFor === target) cancelSentFor = undefined; // the next poll tries again
        log(`cancel failed: ${(err as Error).message}`);
      }
    }

    const emit = (text: string) => {
      const line = text.replace(/\r$/, '').replace(CONSOLE_NOTE, '').replace(ANSI, '');
      return line.length > maxLine ? `${line.slice(0, maxLine)}…` : line;
    };

    /** One `progressiveText` read: complete lines go to the task log; the cursor persisted is the end of the last one. */
    async function pullLog(b: Extract<Phase, { kind: 'build' }>, flush = false): Promise<{ moved: boolean; more: boolean }> {
      const c = await api.log(cfg.job, b.number, offset);
      if (over) return { moved: false, more: false }; // detached meanwhile: the next follower copies this part
      offset = c.next;
      const buf = Buffer.concat([rest, c.bytes]);
      const nl = buf.lastIndexOf(0x0a);
      const lines = nl >= 0 ? buf.subarray(0, nl).toString('utf8').split('\n') : [];
      rest = nl >= 0 ? buf.subarray(nl + 1) : buf;
      if (flush || rest.length > maxLine * 4) {
        if (rest.length) lines.push(rest.toString('utf8'));
        rest = Buffer.alloc(0);
      }
      if (lines.length) ctx.hooks.log(lines.map((l) => stamp(clean(emit(l)))));
      const consumed = offset - rest.length;
      if (consumed !== persisted) {
        persisted = consumed;
        await ctx.hooks.setRef({ external: { id: id(), url: b.url, cursor: consumed } });
      }
      return { moved: lines.length > 0, more: c.more };
    }

    /** One poll; true when something moved (then the next poll comes soon). */
    async function step(): Promise<boolean> {
      if (phase.kind === 'queued') {
        const item = await api.queueItem(phase.queueId);
        if (over) return false;
        if (!item) {
          // Jenkins forgets a queue item some minutes after it left the queue (§3): without the build number it is lost.
          end({ outcome: 'failed', reason: `queue item ${phase.queueId} is gone and its build is unknown` });
          return false;
        }
        if (item.executable) {
          const n = item.executable.number;
          const url = item.executable.url ?? api.buildUrl(cfg.job, n);
          phase = { kind: 'build', number: n, url };
          offset = persisted = 0;
          // Recorded at once: the queue item will be forgotten, the build number is what a re-attach needs.
          await ctx.hooks.setRef({ external: { id: id(), url, cursor: 0 }, webUrl: url });
          log(`build #${n} started: ${url}`);
          if (cancelAsked) await sendCancel();
        } else if (item.cancelled) {
          end({ outcome: 'cancelled', reason: cancelAsked ? 'queue item cancelled' : 'queue item cancelled in Jenkins' });
          return false;
        } else {
          if (cancelAsked) await sendCancel();
          if (item.why && item.why !== lastWhy) {
            lastWhy = item.why;
            log(`queued: ${item.why}`);
            return true;
          }
          return false;
        }
      }
      if (phase.kind !== 'build') return false;
      const b = phase;
      const build = await api.build(cfg.job, b.number);
      if (over) return false;
      let pulled = await pullLog(b);
      // `result` can be set while the build still runs (a step marking it UNSTABLE): only `building: false` ends it.
      if (build.building || !build.result) {
        if (cancelAsked) await sendCancel();
        return pulled.moved;
      }
      for (let i = 0; i < 5 && pulled.more && !over; i++) pulled = await pullLog(b);
      if (!over) await pullLog(b, true);
      if (over) return false;
      const r = mapBuildResult(build.result, cfg.successResults);
      if (cancelAsked && r.outcome === 'succeeded') log(`build #${b.number} finished ${build.result} before the stop took effect`);
      log(`build #${b.number}: ${build.result}`);
      end(r);
      return true;
    }

    loop = startPolling({
      step,
      over: () => over,
      // Transient trouble (Jenkins restarting, a proxy) does not fail a deploy; the task timeout bounds it.
      onError: (err) => log(`poll failed: ${err instanceof JenkinsHttpError ? err.message : clean((err as Error).message)}`),
      minMs: opts.pollIntervalMs,
      maxMs: opts.maxPollIntervalMs,
    });

    return {
      done,
      cancel() {
        if (over) return;
        cancelAsked = true;
        void sendCancel();
      },
      detach() {
        over = true;
        loop?.stop();
      },
    };
  }

  const configOf = (ctx: EngineContext): JenkinsEngineConfig | undefined => {
    const cfg = ctx.environment.engine as JenkinsEngineConfig | { type: string };
    return cfg.type === 'jenkins' ? (cfg as JenkinsEngineConfig) : undefined;
  };

  return {
    start(ctx) {
      const cfg = configOf(ctx);
      if (!cfg) return { done: Promise.resolve({ outcome: 'failed', reason: 'the environment is no longer a jenkins one' }), cancel() {} };
      const api = client(cfg);
      const clean = patternRedactor.with([cfg.token]).text;
      return triggeredRun(async () => {
        const rendered = Object.fromEntries(Object.entries(cfg.parameters ?? {}).map(([k, v]) => [k, renderTemplate(v, ctx.task)]));
        // The OPSBOT_* variables win over a template of the same name (a job must be able to trust them).
        const parameters = { ...rendered, ...deployVariables(ctx.task, componentEnvName) };
        let q: { queueId: number; merged: boolean };
        try {
          q = await api.trigger(cfg.job, parameters);
        } catch (err) {
          return { outcome: 'failed', reason: clean((err as Error).message) };
        }
        await ctx.hooks.setRef({ external: { id: `queue:${q.queueId}` }, webUrl: api.jobUrl(cfg.job) });
        ctx.hooks.log([stamp(`${cfg.job}: queued as item ${q.queueId}${q.merged ? ' (Jenkins merged it into an identical request already queued)' : ''}`)]);
        return follow(ctx, cfg, api, { kind: 'queued', queueId: q.queueId }, 0);
      });
    },
    resume(ctx) {
      const cfg = configOf(ctx);
      const ext = ctx.task.engineRef?.external;
      const m = /^(queue|build):(\d+)$/.exec(ext?.id ?? '');
      if (!cfg || !ext || !m) return undefined; // triggered but not recorded: interrupted, never triggered again
      const api = client(cfg);
      const n = Number(m[2]);
      const phase: Phase = m[1] === 'queue' ? { kind: 'queued', queueId: n } : { kind: 'build', number: n, url: ext.url ?? api.buildUrl(cfg.job, n) };
      ctx.hooks.log([stamp(`re-attached to ${phase.kind === 'queued' ? `queue item ${n}` : `build #${n}`} after restart`)]);
      return follow(ctx, cfg, api, phase, ext.cursor ?? 0);
    },
  };
}

/** `type: jenkins`: trigger a parameterized job and follow its build (alerting-and-engines.md §3). */
export const jenkinsEngine = defineEngine({
  type: 'jenkins',
  configSchema,
  // The build runs on Jenkins: shutdown only stops following it, and any replica can re-attach.
  capabilities: { detachable: true, cancellable: true, followsExternalRun: true },
  problems: (engine, product, at) =>
    Object.entries(engine.parameters ?? {}).flatMap(([name, template]) =>
      templateProblems(template, product.components ?? []).map((message) => ({
        path: `${at}.parameters.${name}`,
        message,
        hint: 'placeholders: {product}, {release}, {env}, {version:<component>}',
      })),
    ),
  create: ({ config, clock }) => createJenkinsEngine({ pollIntervalMs: config.pollIntervalMs, maxPollIntervalMs: config.maxPollIntervalMs, clock }),
});
