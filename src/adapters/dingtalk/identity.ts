/**
 * DingTalk people: `people.<id>.dingtalk` is the staffId (senderStaffId), which is also what `atUserIds`
 * takes; without it, `people.<id>.mobile` (`atMobiles` on sessionWebhook and custom-robot messages,
 * chat-platforms.md §4.1–4.2). Addresses: app chats `dingtalk:` and custom robots `dingtalk-robot:<name>`.
 */
import { identityByKey } from '../../core/people.ts';

export const dingtalkIdentity = identityByKey({
  platform: 'dingtalk',
  addressPrefixes: ['dingtalk', 'dingtalk-robot'],
  addressForms: ['"dingtalk:<openConversationId>"', '"dingtalk-robot:<name>"'],
  key: 'dingtalk',
  byMobile: true,
});
