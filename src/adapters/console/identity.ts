/** The console's people: the local user is an admin, or `chat.console: { as: <person> }`; mentions print the person id. */
import type { PlatformIdentity } from '../../core/transport.ts';
import { CONSOLE_ADMIN } from '../../core/people.ts';

export const consoleIdentity: PlatformIdentity = {
  platform: 'console',
  addressPrefixes: ['console'],
  addressForms: ['"console"'],
  personOf(_sender, config) {
    const c = config.chat.console;
    return typeof c === 'object' ? c.as : CONSOLE_ADMIN.id;
  },
  mentionOf: (id) => id,
};
