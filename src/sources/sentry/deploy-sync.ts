/**
 * Deploys into Sentry (issue 7 §7): when an opsbot deploy succeeds and the product has Sentry projects,
 * create the release if missing (201/208: sentry.md 3.4) and record a deploy for the environment, so
 * Sentry links new issues to it ("resolve in next release", suspect commits, firstRelease.lastDeploy).
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { EventBus } from '../../core/events.ts';
import type { SentryApi } from './api.ts';
import type { SentryConfig } from './config.ts';

/** The part of a deploy task (src/deploy/tasks.ts DeployTask) this needs. */
export interface FinishedDeploy {
  id: string;
  product: string;
  release: string;
  env: string;
  state: string;
  kind?: string;
}

/** Sentry release version for an opsbot release: `sentry.releaseFormat` with {product} and {release}. */
export function sentryVersion(format: string, product: string, release: string): string {
  return format.replace('{product}', product).replace('{release}', release);
}

export async function reportDeploy(api: SentryApi, config: Config, sentry: SentryConfig, task: FinishedDeploy, log: Logger): Promise<boolean> {
  if (task.state !== 'succeeded') return false;
  const projects = config.products[task.product]?.sentryProjects ?? [];
  if (projects.length === 0) return false;
  const version = sentryVersion(sentry.releaseFormat, task.product, task.release);
  try {
    await api.ensureRelease(version, projects);
    await api.createDeploy(version, { environment: task.env, name: `opsbot ${task.kind ?? 'deploy'} ${task.id}`, projects });
    return true;
  } catch (err) {
    // Never fail the deploy because Sentry said no; the operator sees it in the log.
    log.warn({ err: (err as Error).message, taskId: task.id, version }, 'sentry: recording the deploy failed');
    return false;
  }
}

export function registerDeploySync(events: EventBus, api: SentryApi, config: Config, sentry: SentryConfig, log: Logger): () => void {
  return events.on('deploy.finished', async (e) => {
    await reportDeploy(api, config, sentry, e.payload, log);
  });
}
