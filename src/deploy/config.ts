/**
 * The top-level `deploy:` config section (scheduler and engine tuning) and the shape of the
 * `products.*` config the deploy feature reads. The lead's schema owns `products`; we only declare
 * the fields we use so this module does not depend on the composed Config type.
 */
import { z } from 'zod';

/** `deploy:` — all optional; defaults suit the example config. */
export const deployConfigSchema = z.strictObject({
  /** Global limit of running tasks (issue 4 §3). */
  concurrency: z.number().int().min(1).max(50).default(2),
  /** Timeout for environments that set no `timeoutSeconds`. */
  defaultTimeoutSeconds: z.number().int().min(1).default(1800),
  /** Command engine: SIGTERM, then SIGKILL after this grace period. */
  cancelGraceMs: z.number().int().min(0).default(5000),
  /** GitLab engine: first poll interval; it backs off ×1.5 up to `maxPollIntervalMs`. */
  pollIntervalMs: z.number().int().min(10).default(5000),
  maxPollIntervalMs: z.number().int().min(10).default(60000),
  /** At most one progress-card update per task in this window (issue 4 §6). */
  progressThrottleMs: z.number().int().min(0).default(2000),
  /** Deployment history kept per product+environment (rollback targets). */
  historySize: z.number().int().min(2).default(20),
});

export type DeployConfig = z.infer<typeof deployConfigSchema>;

/** Defaults when the `deploy:` section is absent. */
export const defaultDeployConfig: DeployConfig = deployConfigSchema.parse({});

export type { EngineConfig } from './engines/index.ts';
import type { EngineConfig } from './engines/index.ts';
export type CommandEngineConfig = Extract<EngineConfig, { type: 'command' }>;
export type GitlabEngineConfig = Extract<EngineConfig, { type: 'gitlab-pipeline' }>;

/** `products.<p>.environments.<env>` as far as deploys are concerned. */
export interface EnvironmentConfig {
  protected?: boolean;
  timeoutSeconds?: number;
  approvers?: string[];
  engine: EngineConfig;
}

/** `products.<p>` as far as deploys are concerned. */
export interface ProductConfig {
  team?: string;
  owners?: string[];
  gitlabProject?: string;
  components: string[];
  releases: Record<string, Record<string, string>>;
  environments: Record<string, EnvironmentConfig>;
}

export type ProductsConfig = Record<string, ProductConfig>;
