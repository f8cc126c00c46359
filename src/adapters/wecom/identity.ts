/** WeCom people: `people.<id>.wecom` is the userid (FromUserName / from.userid), used in `<@userid>` and `mentioned_list`. */
import { identityByKey } from '../../core/people.ts';

export const wecomIdentity = identityByKey({ platform: 'wecom', addressPrefixes: ['wecom', 'wecom-group', 'wecom-webhook'], addressForms: ['"wecom:<userid>"', '"wecom-group:<chatid>"', '"wecom-webhook:<key>"'], key: 'wecom' });
