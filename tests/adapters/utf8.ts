/** Test helper: true when `s` survives a UTF-8 round trip and holds no lone surrogate (nothing was split). */
export const validUtf8 = (s: string): boolean =>
  Buffer.from(s, 'utf8').toString('utf8') === s && !/[\uD800-\uDFFF]/u.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
