/**
 * The `command` engine: spawn an argv array (no shell: a release named `v1;rm -rf /` is just a
 * string in the environment), stream stdout/stderr lines with timestamps, exit code decides,
 * cancel = SIGTERM to the process group, then SIGKILL after a grace period (issue 4 §4). The child gets
 * a minimal environment, never the bot's secrets (childEnvironment).
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import type { CommandEngineConfig } from '../config.ts';
import { componentEnvName } from '../model.ts';
import { defineEngine, deployVariables, type Engine, type EngineContext, type EngineResult, type EngineRun } from './types.ts';

export interface CommandEngineOptions {
  cancelGraceMs: number;
  clock?: () => number;
  /**
   * Where the passed-through variables (PATH, HOME, LANG, LC_ALL, TZ) are read from (default: process.env).
   * Nothing else of it reaches the child: see childEnvironment.
   */
  baseEnv?: NodeJS.ProcessEnv;
  /** Lines longer than this are cut (a chatty script must not blow up the log store). */
  maxLineLength?: number;
}

/** What a deploy script needs from the bot's own environment to run at all (locale, clock, tools). */
export const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const;

/**
 * The child's whole environment: the few PASSED_THROUGH variables that are set, then what the
 * environment's `engine.env` names (the operator chose to hand those over), then the OPSBOT_* deploy
 * variables (they win: a script must be able to trust them). The bot's environment holds every
 * `${SECRET}` the config refers to (SENTRY_AUTH_TOKEN, GITLAB_TOKEN …); a script that dumps `env` into
 * the task log would otherwise publish them to the chat.
 */
export function childEnvironment(base: NodeJS.ProcessEnv, configured: Record<string, string>, deploy: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const v = base[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...configured, ...deploy };
}

export function createCommandEngine(opts: CommandEngineOptions): Engine {
  const clock = opts.clock ?? Date.now;
  const maxLine = opts.maxLineLength ?? 2000;
  return {
    start(ctx: EngineContext): EngineRun {
      const cfg = ctx.environment.engine as CommandEngineConfig;
      const [file, ...args] = cfg.run;
      if (!file) return { done: Promise.resolve({ outcome: 'failed', reason: 'empty run' }), cancel() {} };
      const stamp = (stream: 'out' | 'err', line: string) =>
        `${new Date(clock()).toISOString()} ${stream === 'err' ? 'ERR ' : ''}${line.length > maxLine ? line.slice(0, maxLine) + '…' : line}`;

      let cancelled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const child = spawn(file, args, {
        cwd: cfg.cwd ?? process.cwd(),
        env: childEnvironment(opts.baseEnv ?? process.env, cfg.env ?? {}, deployVariables(ctx.task, componentEnvName)),
        shell: false,
        // Own process group so cancel reaches the script's children too (sleep, docker …).
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (child.pid !== undefined) void ctx.hooks.setRef({ pid: child.pid });

      const pipe = (stream: NodeJS.ReadableStream | null, kind: 'out' | 'err') => {
        if (!stream) return;
        let rest = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          const parts = (rest + chunk).split('\n');
          rest = parts.pop() ?? '';
          // Keep a single unterminated line bounded as well.
          if (rest.length > maxLine) {
            parts.push(rest);
            rest = '';
          }
          if (parts.length) ctx.hooks.log(parts.map((l) => stamp(kind, l.replace(/\r$/, ''))));
        });
        stream.on('end', () => {
          if (rest) ctx.hooks.log([stamp(kind, rest)]);
          rest = '';
        });
      };
      pipe(child.stdout, 'out');
      pipe(child.stderr, 'err');

      const signal = (sig: NodeJS.Signals) => {
        // The group may outlive the leader (a grandchild holding the pipes), so no exitCode check.
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, sig);
        } catch {
          // ESRCH: the whole group is gone already.
        }
      };

      const done = new Promise<EngineResult>((resolve) => {
        child.on('error', (err) => {
          if (killTimer) clearTimeout(killTimer);
          resolve({ outcome: 'failed', reason: (err as NodeJS.ErrnoException).code ?? err.message });
        });
        child.on('close', (code, sig) => {
          if (killTimer) clearTimeout(killTimer);
          if (cancelled) resolve({ outcome: 'cancelled', reason: sig ?? `exit code ${code}` });
          else if (code === 0) resolve({ outcome: 'succeeded' });
          else resolve({ outcome: 'failed', reason: sig ? `signal ${sig}` : `exit code ${code}` });
        });
      });

      return {
        done,
        cancel() {
          if (cancelled) return;
          cancelled = true;
          signal('SIGTERM');
          killTimer = setTimeout(() => signal('SIGKILL'), opts.cancelGraceMs);
          killTimer.unref();
        },
      };
    },
  };
}

/** `type: command`: a local argv (no shell), OPSBOT_* variables in its environment (issue 4 §4). */
export const commandEngine = defineEngine({
  type: 'command',
  configSchema: z.strictObject({
    type: z.literal('command'),
    run: z.array(z.string().min(1, { error: 'must not be empty' })).min(1, { error: 'run is an argv array, e.g. ["./scripts/deploy-demo.sh"]' }),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
  }),
  // A script dies with its process: it can be stopped, never let go and picked up again.
  capabilities: { detachable: false, cancellable: true, followsExternalRun: false },
  create: ({ config, clock }) => createCommandEngine({ cancelGraceMs: config.cancelGraceMs, clock }),
});
