/**
 * A small, careful reader for WeCom's flat callback XML (chat-platforms.md §7.1): `<xml>` with child
 * elements whose text is plain or CDATA. Nested elements (SelectedItems) are kept as raw inner text.
 * No entity expansion beyond the five predefined entities, no DTDs: nothing to exploit.
 */

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string): string {
  // Concatenate CDATA sections and entity-decoded text between them.
  let out = '';
  const re = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
  let last = 0;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    out += decodeEntities(raw.slice(last, m.index)) + (m[1] ?? '');
    last = m.index + m[0].length;
  }
  return out + decodeEntities(raw.slice(last));
}

/** Thrown inside the parser for a not-well-formed document; parseFlatXml turns it into `null`. */
class NotWellFormed extends Error {}

/**
 * XML 1.0 §2.2 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. A character
 * reference to anything else (`&#x110000;`, a surrogate, `&#0;`) is a well-formedness error (§4.1 WFC
 * "Legal Character"); `String.fromCodePoint` would throw a RangeError on the first of those.
 */
function legalChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e.startsWith('#')) {
      // Digits only (the regex), so parseInt cannot be NaN; a long run of them is just a big number.
      const cp = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!legalChar(cp)) throw new NotWellFormed(`illegal character reference &${e};`);
      return String.fromCodePoint(cp);
    }
    return ENTITIES[e] ?? '';
  });
}

/**
 * Parse `<xml><A>..</A><B><![CDATA[..]]></B></xml>` into a flat record; null when not that shape.
 * Linear time (sticky regexes, no re-slicing): it runs on unauthenticated bodies up to 1 MiB.
 */
export function parseFlatXml(input: string): Record<string, string> | null {
  try {
    return parseFlat(input);
  } catch (err) {
    // Unauthenticated input (the `<Encrypt>` is read before the signature check): never an exception.
    if (err instanceof NotWellFormed) return null;
    throw err;
  }
}

function parseFlat(input: string): Record<string, string> | null {
  const s = input.trim().replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!s.startsWith('<xml>') || !s.endsWith('</xml>')) return null;
  const body = s.slice(5, s.length - 6);
  const out: Record<string, string> = {};
  const ws = /\s+/y;
  const open = /<([A-Za-z_][\w.-]*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    ws.lastIndex = i;
    if (ws.test(body)) {
      i = ws.lastIndex;
      continue;
    }
    open.lastIndex = i;
    const m = open.exec(body);
    if (!m) return null;
    const name = m[1] as string;
    i = open.lastIndex;
    if (m[2] === '/') {
      out[name] = '';
      continue;
    }
    const end = findClose(body, i, name);
    if (end < 0) return null;
    const inner = body.slice(i, end);
    out[name] = /^\s*<(?!!\[CDATA\[)/.test(inner) ? inner : decodeText(inner);
    i = end + name.length + 3;
  }
  return out;
}

/** Index of the matching `</name>` for an element opened just before `from`, skipping CDATA and nesting. */
function findClose(s: string, from: number, name: string): number {
  let depth = 1;
  let i = from;
  while (i < s.length) {
    if (s.startsWith('<![CDATA[', i)) {
      const e = s.indexOf(']]>', i + 9);
      if (e < 0) return -1;
      i = e + 3;
    } else if (s.startsWith(`</${name}>`, i)) {
      depth--;
      if (depth === 0) return i;
      i += name.length + 3;
    } else if (s.startsWith(`<${name}>`, i)) {
      depth++;
      i += name.length + 2;
    } else i++;
  }
  return -1;
}

/** CDATA-wrap a value for outgoing XML (splitting any `]]>` it contains). */
export function cdata(v: string): string {
  return `<![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
