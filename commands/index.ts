/**
 * Every chat command, registered explicitly (a test checks that each commands/*.ts file is listed here).
 * Add one import and one array entry per command.
 */
import type { CommandSpec } from '../src/core/define-command.ts';
import help from './help.ts';
import whoami from './whoami.ts';
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

export const commands: CommandSpec[] = [
  help,
  whoami,
  sentry,
  deploy,
  rollback,
  status,
  tasks,
  task,
  cancel,
  releases,
  release,
  gitlab,
] as unknown as CommandSpec[];
