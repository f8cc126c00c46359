/** The quiet-window feature's chat strings (zh-CN default, English). Keys are prefixed `mute.`. */
import type { Catalog } from '../core/i18n.ts';

export const muteMessages: Catalog = {
  'zh-CN': {
    'mute.error.notConfigured': '静默功能未启用',
    'mute.error.unknown': '没有产品或项目 {name}。可用：{valid}',
    'mute.error.badDuration': '时长 {value} 不合法，例如 30m、2h、1d',
    'mute.error.missing': '用法：/mute <产品|项目> <时长> [原因]',
    'mute.set.title': '已静默 {target}',
    'mute.set.body': '至 {until}（{by}）：告警照常记录和计数，可在 /alerts 查看，但不发卡片、不呼叫任何人。原因：{reason}',
    'mute.noReason': '未说明',
    'mute.unmute.done': '已解除 {target} 的静默',
    'mute.unmute.none': '{target} 没有通过 /mute 设置的静默',
    'mute.list.title': '静默中',
    'mute.list.none': '没有静默',
    'mute.byConfig': '配置的静默窗口',
  },
  en: {
    'mute.error.notConfigured': 'Quiet windows are not enabled',
    'mute.error.unknown': 'No product or project {name}. Valid: {valid}',
    'mute.error.badDuration': 'Duration {value} is not valid; e.g. 30m, 2h, 1d',
    'mute.error.missing': 'Usage: /mute <product|project> <duration> [reason]',
    'mute.set.title': 'Muted: {target}',
    'mute.set.body': 'Until {until} ({by}): alerts are still stored, counted and shown in /alerts, but post no card and page nobody. Reason: {reason}',
    'mute.noReason': 'none given',
    'mute.unmute.done': 'Unmuted: {target}',
    'mute.unmute.none': '{target} has no mute set with /mute',
    'mute.list.title': 'Muted',
    'mute.list.none': 'Nothing is muted',
    'mute.byConfig': 'a configured quiet window',
  },
};
