/**
 * WeCom people: `people.<id>.wecom` is the userid (FromUserName / from.userid), used in `<@userid>` and
 * `mentioned_list`; without it, `people.<id>.mobile` (the group robot's `mentioned_mobile_list`, §7.2).
 */
import { identityByKey } from '../../core/people.ts';

export const wecomIdentity = identityByKey({
  platform: 'wecom',
  addressPrefixes: ['wecom', 'wecom-group', 'wecom-webhook'],
  addressForms: ['"wecom:<userid>"', '"wecom-group:<chatid>"', '"wecom-webhook:<key>"'],
  key: 'wecom',
  byMobile: true,
});
