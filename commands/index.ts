/**
 * Every chat command, registered explicitly (a test checks that each commands/*.ts file is listed here).
 * Add one import and one array entry per command.
 */
import type { CommandSpec } from '../src/core/define-command.ts';
import help from './help.ts';
import whoami from './whoami.ts';

export const commands: CommandSpec[] = [
  help,
  whoami,
] as unknown as CommandSpec[];
