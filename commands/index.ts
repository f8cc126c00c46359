/**
 * Every chat command, registered explicitly (a test checks that each commands/*.ts file is listed here),
 * grouped by the feature that owns it (src/features.ts registers each group through its feature).
 * Add one import and one array entry per command.
 */
import type { CommandSpec } from '../src/core/define-command.ts';
import help from './help.ts';
import whoami from './whoami.ts';
import confirm from './confirm.ts';
import cancelConfirmation from './cancel-confirmation.ts';
import outbox from './outbox.ts';
import sentry from './sentry.ts';
import deploy from './deploy.ts';
import rollback from './rollback.ts';
import status from './status.ts';
import tasks from './tasks.ts';
import task from './task.ts';
import cancel from './cancel.ts';
import releases from './releases.ts';
import release from './release.ts';
import gitlab from './gitlab.ts';
import freeze from './freeze.ts';
import unfreeze from './unfreeze.ts';
import oncall from './oncall.ts';
import oncallSwap from './oncall-swap.ts';
import oncallOverride from './oncall-override.ts';
import mute from './mute.ts';
import unmute from './unmute.ts';
import login from './login.ts';
import stats from './stats.ts';
import am from './am.ts';
import alerts from './alerts.ts';

/**
 * A spec's handlers take its own args and services; the registry holds them under the general type
 * (the dispatcher validates the args with the spec's own schema and hands over its `uses`).
 */
const list = (...specs: unknown[]): CommandSpec[] => specs as CommandSpec[];

/** The core's own commands: help, who am I, the confirmation verbs, and the outbox. */
export const coreCommands = list(help, whoami, confirm, cancelConfirmation, outbox);
export const deployCommands = list(deploy, rollback, status, tasks, task, cancel, releases, release);
export const sentryCommands = list(sentry);
export const gitlabCommands = list(gitlab);
export const freezeCommands = list(freeze, unfreeze);
export const oncallCommands = list(oncall, oncallSwap, oncallOverride);
export const muteCommands = list(mute, unmute);

export const webCommands = list(login);

export const metricsCommands = list(stats);

export const alertmanagerCommands = list(am);
export const alertsCommands = list(alerts);

export const commands: CommandSpec[] = [...coreCommands, ...sentryCommands, ...deployCommands, ...gitlabCommands, ...alertmanagerCommands, ...alertsCommands, ...freezeCommands, ...oncallCommands, ...muteCommands, ...webCommands, ...metricsCommands];
