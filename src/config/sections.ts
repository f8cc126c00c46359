/**
 * The per-feature config sections, each owned by its feature (adapters, sources, deploy) and composed
 * here so schema.ts stays the one place that lists the file's shape.
 */
import { dingtalkConfigSchema } from '../adapters/dingtalk/config.ts';
import { wecomConfigSchema } from '../adapters/wecom/config.ts';
import { deployConfigSchema } from '../deploy/config.ts';
import { freezesConfigSchema } from '../freeze/config.ts';
import { muteConfigSchema } from '../mute/config.ts';
import { oncallConfigSchema, teamOncallSchema } from '../oncall/config.ts';
import { engineConfigSchema } from '../deploy/engines/index.ts';
import { gitlabConfigSchema, gitlabProductExtras } from '../sources/gitlab/config.ts';
import { productAlertsSchema, sentryConfigSchema } from '../sources/sentry/config.ts';

export const sectionSchemas = {
  dingtalk: dingtalkConfigSchema,
  wecom: wecomConfigSchema,
  sentry: sentryConfigSchema,
  gitlab: gitlabConfigSchema,
  deploy: deployConfigSchema,
  engine: engineConfigSchema,
  productAlerts: productAlertsSchema,
  productExtras: gitlabProductExtras,
  freezes: freezesConfigSchema,
  oncall: oncallConfigSchema,
  teamOncall: teamOncallSchema,
  mute: muteConfigSchema,
};
