/**
 * The features, one line each, in dependency order: a feature may use the services of those listed
 * before it (the deploy engines use GitLab's client; Sentry's Rollback button looks at deploys). A
 * feature switched off by the config (an absent section) mounts no route and opens no connection
 * (contract.md). Adding a feature, webhook source or chat platform: its folder, and one line here.
 */
import { consoleFeature, type ConsoleIO } from './adapters/console/feature.ts';
import { dingtalkFeature } from './adapters/dingtalk/feature.ts';
import { wecomFeature } from './adapters/wecom/feature.ts';
import { coreCommands } from '../commands/index.ts';
import { coreMessages } from './core/core-messages.ts';
import { defineFeature, type Feature } from './core/feature.ts';
import { registerMessages } from './core/i18n.ts';
import { deployFeature } from './deploy/feature.ts';
import { freezeFeature } from './freeze/feature.ts';
import { oncallFeature } from './oncall/feature.ts';
import { muteFeature } from './mute/feature.ts';
import { metricsFeature } from './metrics/feature.ts';
import { gitlabFeature } from './sources/gitlab/feature.ts';
import { sentryFeature } from './sources/sentry/feature.ts';
import { webFeature } from './web/feature.ts';
import { alertmanagerFeature } from './sources/alertmanager/feature.ts';
import { alertsFeature } from './alerts/feature.ts';

/** The core's own commands and strings (help, whoami, confirmations), as a feature like the others. */
const coreFeature = defineFeature({ name: 'core', commands: coreCommands, messages: coreMessages, enabled: () => true, setup: () => ({}) });

export function features(o: { consoleIO?: ConsoleIO } = {}): Feature[] {
  return [coreFeature, consoleFeature(o.consoleIO), dingtalkFeature, wecomFeature, gitlabFeature, oncallFeature, muteFeature, freezeFeature, deployFeature, sentryFeature,
    alertmanagerFeature, alertsFeature, webFeature, metricsFeature];
}

/** Every feature's message catalog, whether or not it is on (its commands still answer "not configured"). */
export function registerAllMessages(list: readonly Feature[] = features()): void {
  for (const f of list) if (f.messages) registerMessages(f.messages);
}
