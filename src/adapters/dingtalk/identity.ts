/** DingTalk people: `people.<id>.dingtalk` is the staffId (senderStaffId), which is also what `atUserIds` takes. */
import { identityByKey } from '../../core/people.ts';

export const dingtalkIdentity = identityByKey({ platform: 'dingtalk', addressPrefixes: ['dingtalk'], addressForms: ['"dingtalk:<openConversationId>"'], key: 'dingtalk' });
