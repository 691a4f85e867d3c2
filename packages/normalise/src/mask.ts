/**
 * Masking for report samples. The normalise stage may run before the PII stages, so a sample can
 * hold raw personal values: digit runs of 5 or more (with single separators, full-width and Chinese
 * numerals too), e-mail addresses, @handles and URLs are replaced before a sample is stored.
 */
const URL_RE = /(?:https?:\/\/|www\.)[^\s，。！？]+/gi;
// Local part: ASCII and full-width ASCII (a `[^\s@]+` local part backtracks quadratically over Chinese text).
const EMAIL_RE = /[A-Za-z0-9._%+\-Ａ-Ｚａ-ｚ０-９．＿－]+[@＠][A-Za-z0-9\-Ａ-Ｚａ-ｚ０-９－]+(?:[.．][A-Za-z0-9\-Ａ-Ｚａ-ｚ０-９－]+)*[.．][A-Za-zＡ-Ｚａ-ｚ]{2,}/g;
const HANDLE_RE = /[@＠][^\s@＠,，:：;；。!！?？)）\]】]+/g;
const DIGITS_RE = /[0-9０-９](?:[\s\-－.．]?[0-9０-９]){4,}/g;
const CN_DIGITS_RE = /[〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两](?:[\s\-－]?[〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两]){4,}/g;

export function maskSample(text: string): string {
  return text
    .replace(URL_RE, '<url>')
    .replace(EMAIL_RE, '<email>')
    .replace(HANDLE_RE, '@<user>')
    .replace(DIGITS_RE, '<digits>')
    .replace(CN_DIGITS_RE, '<digits>');
}

/**
 * The changed window of `before` → `after` with a little context on each side. Both texts are
 * masked whole before the window is cut, so a cut can never leave part of a value unmasked.
 */
export function diffSample(before: string, after: string, context = 12, max = 60): { before: string; after: string } {
  const b = maskSample(before);
  const a = maskSample(after);
  let p = 0;
  while (p < b.length && p < a.length && b.charCodeAt(p) === a.charCodeAt(p)) p++;
  let s = 0;
  while (s < b.length - p && s < a.length - p && b.charCodeAt(b.length - 1 - s) === a.charCodeAt(a.length - 1 - s)) s++;
  const start = Math.max(0, p - context);
  const window = (t: string): string => {
    const end = Math.min(t.length, t.length - s + context);
    let w = t.slice(start, end);
    if (w.length > max) w = w.slice(0, max) + '…';
    return (start > 0 ? '…' : '') + w + (end < t.length && !w.endsWith('…') ? '…' : '');
  };
  return { before: window(b), after: window(a) };
}
