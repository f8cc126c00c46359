/**
 * The deploy engines, one entry each (issue 14 §3). The config union of `engine:`, the plan's engine
 * type, the runner's detach-or-cancel choice and the queue's re-attach all come from these declarations.
 */
import { z } from 'zod';
import { commandEngine } from './command.ts';
import { gitlabPipelineEngine } from './gitlab-pipeline.ts';
import { jenkinsEngine } from './jenkins.ts';
import { kubernetesEngine } from './kubernetes.ts';
import type { EngineDeclaration } from './types.ts';

export const ENGINES = [commandEngine, gitlabPipelineEngine, jenkinsEngine, kubernetesEngine] as const;

type Schemas<T extends readonly EngineDeclaration[]> = { -readonly [K in keyof T]: T[K]['configSchema'] };

/** `products.*.environments.*.engine`: one of the declared engines, chosen by `type`. */
export const engineConfigSchema = z.discriminatedUnion('type', ENGINES.map((e) => e.configSchema) as unknown as Schemas<typeof ENGINES>);

/** An environment's `engine:` object. */
export type EngineConfig = z.infer<typeof engineConfigSchema>;
/** `command`, `gitlab-pipeline`, `jenkins`, … */
export type EngineType = (typeof ENGINES)[number]['type'];
export const ENGINE_TYPES: readonly EngineType[] = ENGINES.map((e) => e.type);

/** The declaration of a type (config validation guarantees it exists). */
export function engineDeclaration(type: string): EngineDeclaration {
  const d = ENGINES.find((e) => e.type === type);
  if (!d) throw new Error(`unknown engine type ${type}`);
  return d;
}
