/**
 * One redaction for everything that leaves the process as text: log lines, chat replies, cards, task
 * logs, error messages built from upstream bodies. It is keyed on the configured secret *values*
 * (loadConfig's `secrets`), because an upstream API error that echoes the request (`authorization:
 * Bearer …`, GitLab's `private-token: …`) carries the value under whatever name the echo uses; and it
 * also blanks the credential-shaped patterns themselves, so a token we never configured (a deploy
 * script's own, an OAuth code in a URL) is not shown either.
 */
import type { Block, Button, Card } from '../../cards/model.ts';
import type { OutgoingMessage, Reply } from './message.ts';
import type { Outbox } from './services.ts';

export const REDACTED = '[REDACTED]';

/** Shorter values are not treated as secrets: replacing `abc` everywhere would shred ordinary text. */
export const MIN_REDACT_LENGTH = 4;

// `Authorization: Bearer xyz`, `"authorization":"Basic xyz"`, `proxy-authorization=…`: the scheme word
// stays (it helps reading the error), the credential goes.
const AUTH_HEADER = /(["']?\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|bot|digest)\s+)?([^\s"',;&}]+)/gi;
// Token-carrying headers and parameters: GitLab `PRIVATE-TOKEN` / `JOB-TOKEN` (gitlab.md §3), its
// webhook `X-Gitlab-Token`, OAuth `access_token=` / `refresh_token=` / `client_secret=` in URLs and
// form bodies (DingTalk/WeCom `access_token` query parameter: chat-platforms.md), `api_key`.
const TOKEN_FIELD =
  /(["']?\b(?:private[-_]token|job[-_]token|x-gitlab-token|x-sentry-token|access[-_]?token|refresh[-_]token|client[-_]secret|api[-_]?key|x-api-key|app[-_]secret)["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi;

/** Redacts secret values and credential-shaped text. Cheap to call; build one per process. */
export class Redactor {
  private readonly values: string[];

  constructor(secrets: Iterable<string> = []) {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (typeof s !== 'string' || s.trim().length < MIN_REDACT_LENGTH) continue;
      forms.add(s);
      // The same value as it appears inside a JSON string (log lines) or a URL (query parameters).
      forms.add(JSON.stringify(s).slice(1, -1));
      forms.add(encodeURIComponent(s));
    }
    // Longest first: a secret that contains another must go whole, not leave its tail behind.
    this.values = [...forms].sort((a, b) => b.length - a.length);
  }

  /** A new redactor that also knows `more` (e.g. an API client adding its own token). */
  with(more: Iterable<string>): Redactor {
    return new Redactor([...this.values, ...more]);
  }

  /** Text with every secret value and credential pattern replaced by `[REDACTED]`. */
  text = (s: string): string => {
    let out = s;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    out = out.replace(AUTH_HEADER, (_m, head: string, scheme: string | undefined, value: string) =>
      value === REDACTED ? _m : `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
    );
    out = out.replace(TOKEN_FIELD, (_m, head: string, value: string) => (value === REDACTED ? _m : `${head}${REDACTED}`));
    return out;
  };

  /** Every string of a card (title, blocks, fields, button labels, commands and URLs), deep, as a copy. */
  card = (card: Card): Card => ({ ...card, title: this.text(card.title), blocks: card.blocks.map((b) => this.block(b)) });

  /** A chat reply, text or card. */
  reply = (reply: Reply): Reply => (reply.kind === 'text' ? { kind: 'text', text: this.text(reply.text) } : { kind: 'card', card: this.card(reply.card) });

  /** Lines (task logs). */
  lines = (lines: string[]): string[] => lines.map(this.text);

  private block(b: Block): Block {
    switch (b.kind) {
      case 'markdown':
      case 'note':
      case 'code':
        return { ...b, text: this.text(b.text) };
      case 'fields':
        return { ...b, fields: b.fields.map((f) => ({ label: this.text(f.label), value: this.text(f.value) })) };
      case 'actions':
        return { ...b, buttons: b.buttons.map((btn) => this.button(btn)) };
    }
  }

  private button(btn: Button): Button {
    const action = 'command' in btn.action ? { command: this.text(btn.action.command) } : { url: this.text(btn.action.url) };
    return { ...btn, label: this.text(btn.label), action };
  }
}

/** A redactor that knows nothing but the patterns (where no config is at hand). */
export const patternRedactor = new Redactor();

/**
 * Wraps an Outbox so every reply is redacted before it is sent or queued. For outboxes that have more
 * than `send` (ChatOutbox), prefer its `redact` option, which keeps `register`/`stop` on the same object.
 */
export function redactingOutbox<O extends Outbox>(outbox: O, redactor: Redactor): Outbox {
  return { send: (msg: OutgoingMessage) => outbox.send(redactMessage(msg, redactor)) };
}

/** The message with its reply redacted (everything else — address, cardKey, mentions — is routing). */
export function redactMessage(msg: OutgoingMessage, redactor: Redactor): OutgoingMessage {
  return { ...msg, reply: redactor.reply(msg.reply) };
}
