/**
 * How a card button carries its command (chat-platforms.md §4.8: "encode the action in `id`").
 * Public-template `msgButtons` have no per-button params, and the click arrives as
 * `cardPrivateData.actionIds[0]` = the button id, so the id is self-contained:
 * `ob1.<base64url(utf8 command)>`. Nothing server-side is needed to decode it, so clicks keep
 * working across restarts. A custom template may instead send the command in its 回传参数
 * `params.command` (preferred when present).
 */
import { BotError } from '../../core/errors.ts';

const PREFIX = 'ob1.';
/** Button-id limits of the public templates are undocumented; stay well short (§4.8). */
export const MAX_BUTTON_ID = 200;

/** The button id for a command. Throws when the command is too long to fit. */
export function encodeCommandId(command: string): string {
  const id = PREFIX + Buffer.from(command, 'utf8').toString('base64url');
  if (id.length > MAX_BUTTON_ID) {
    throw new BotError('E_USAGE', `dingtalk: button command too long (${command.length} chars)`);
  }
  return id;
}

/** The command carried by a button id, or undefined when the id is not one of ours. */
export function decodeCommandId(id: string): string | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const body = id.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  const command = Buffer.from(body, 'base64url').toString('utf8');
  return command.trim() === '' ? undefined : command;
}
