/**
 * A field value for an error message: shown only when it looks like a code (short,
 * no long digit run, no @); otherwise its length. A misconfigured column could put
 * message text or a phone number here, and errors must never carry personal values.
 */
export function safeValue(v: unknown): string {
  const s = String(v);
  if (s.length <= 24 && !/\d{5}|@|\s/.test(s)) return `'${s}'`;
  return `(a ${s.length}-character value)`;
}
