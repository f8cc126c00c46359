/**
 * The platform-neutral card model (after vercel/chat's CardElement): cards are pure data built by
 * `cards/*.ts`; each platform adapter renders them, and `cardToText` is the fallback every platform has.
 */

export type Tone = 'info' | 'success' | 'warning' | 'danger';

/** A button either runs a command (as the clicking user, through the normal command path) or opens a URL. */
export type ButtonAction = { command: string } | { url: string };

export interface Button {
  label: string;
  action: ButtonAction;
  style?: 'primary' | 'danger' | 'default';
}

export interface Field {
  label: string;
  value: string;
}

export type Block =
  | { kind: 'markdown'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'code'; text: string }
  | { kind: 'actions'; buttons: Button[] }
  | { kind: 'note'; text: string };

/** A link to the card's page in the web console ("查看详情 / Details"), signed (src/web/links.ts). */
export interface DetailsLink {
  label: string;
  url: string;
}

export interface Card {
  title: string;
  tone?: Tone | undefined;
  blocks: Block[];
  /** Optional: rendered last by every platform (a link line in text and markdown, the card's tap target on WeCom). */
  details?: DetailsLink | undefined;
}

export const markdown = (text: string): Block => ({ kind: 'markdown', text });
export const fields = (fs: Field[]): Block => ({ kind: 'fields', fields: fs });
export const code = (text: string): Block => ({ kind: 'code', text });
export const note = (text: string): Block => ({ kind: 'note', text });
export const actions = (buttons: Button[]): Block => ({ kind: 'actions', buttons });
export const commandButton = (label: string, command: string, style?: Button['style']): Button => ({
  label,
  action: { command },
  ...(style ? { style } : {}),
});
export const linkButton = (label: string, url: string): Button => ({ label, action: { url } });

const toneMark: Record<Tone, string> = { info: 'ℹ', success: '✅', warning: '⚠', danger: '❌' };

/** Plain-text rendering: the console, logs, and any platform that cannot show a card. */
export function cardToText(card: Card): string {
  const lines: string[] = [];
  lines.push(`${card.tone ? toneMark[card.tone] + ' ' : ''}${card.title}`);
  for (const b of card.blocks) {
    switch (b.kind) {
      case 'markdown':
      case 'note':
        lines.push(b.text);
        break;
      case 'code':
        lines.push(...b.text.split('\n').map((l) => '  ' + l));
        break;
      case 'fields':
        for (const f of b.fields) lines.push(`${f.label}: ${f.value}`);
        break;
      case 'actions':
        lines.push(
          b.buttons
            .map((btn) => ('command' in btn.action ? `[${btn.label}: ${btn.action.command}]` : `[${btn.label}: ${btn.action.url}]`))
            .join(' '),
        );
        break;
    }
  }
  if (card.details) lines.push(`[${card.details.label}: ${card.details.url}]`);
  return lines.join('\n');
}

/** Markdown rendering (DingTalk/WeCom markdown messages): buttons become links or command hints. */
export function cardToMarkdown(card: Card): string {
  const out: string[] = [`### ${card.tone ? toneMark[card.tone] + ' ' : ''}${card.title}`];
  for (const b of card.blocks) {
    switch (b.kind) {
      case 'markdown':
        out.push(b.text);
        break;
      case 'note':
        out.push(`> ${b.text}`);
        break;
      case 'code':
        out.push(b.text.split('\n').map((l) => `    ${l}`).join('\n'));
        break;
      case 'fields':
        out.push(b.fields.map((f) => `- **${f.label}**: ${f.value}`).join('\n'));
        break;
      case 'actions':
        out.push(
          b.buttons
            .map((btn) => ('url' in btn.action ? `[${btn.label}](${btn.action.url})` : `\`${btn.action.command}\``))
            .join('  '),
        );
        break;
    }
  }
  if (card.details) out.push(detailsMarkdown(card.details));
  return out.join('\n\n');
}

/** The details link as a markdown link line. */
export const detailsMarkdown = (d: DetailsLink): string => `[${d.label}](${d.url})`;
