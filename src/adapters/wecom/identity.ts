/**
 * WeCom people: `people.<id>.wecom` is the userid (FromUserName / from.userid), used in `<@userid>` and
 * `mentioned_list`; without it, `people.<id>.mobile` (the group robot's `mentioned_mobile_list`, §7.2).
 */
import { identityByKey } from '../../core/people.ts';
import type { PlatformIdentity } from '../../core/transport.ts';

export const wecomIdentity = {
  ...identityByKey({
    platform: 'wecom',
    addressPrefixes: ['wecom', 'wecom-group', 'wecom-webhook'],
    addressForms: ['"wecom:<userid>"', '"wecom-group:<chatid>"', '"wecom-webhook:<key>"'],
    key: 'wecom',
    byMobile: true,
  }),
  // The self-built app's message/send to one userid (`wecom:<userid>`, §5): needs the app and the person's userid.
  directChatOf: (person, config) => (config.chat.wecom && person.wecom ? `wecom:${person.wecom}` : undefined),
} satisfies PlatformIdentity;
