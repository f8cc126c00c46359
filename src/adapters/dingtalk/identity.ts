/**
 * DingTalk people: `people.<id>.dingtalk` is the staffId (senderStaffId), which is also what `atUserIds`
 * takes; without it, `people.<id>.mobile` (`atMobiles` on sessionWebhook and custom-robot messages,
 * chat-platforms.md §4.1–4.2). Addresses: app chats `dingtalk:` and custom robots `dingtalk-robot:<name>`.
 */
import { identityByKey } from '../../core/people.ts';
import type { PlatformIdentity } from '../../core/transport.ts';
import { hasDingtalkApp } from './config.ts';

export const dingtalkIdentity = {
  ...identityByKey({
    platform: 'dingtalk',
    addressPrefixes: ['dingtalk', 'dingtalk-robot'],
    addressForms: ['"dingtalk:<openConversationId>"', '"dingtalk-robot:<name>"'],
    key: 'dingtalk',
    byMobile: true,
  }),
  // A single chat with the app's robot (oToMessages/batchSend, targets.ts `dingtalk:user:<staffId>`):
  // only with the app configured (custom robots cannot write to a person) and a staffId for the person.
  directChatOf: (person, config) => (config.chat.dingtalk && hasDingtalkApp(config.chat.dingtalk) && person.dingtalk ? `dingtalk:user:${person.dingtalk}` : undefined),
} satisfies PlatformIdentity;
