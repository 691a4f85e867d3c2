/** Inline SVG charts: no script, no external resource, escaped labels. */

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** Horizontal bar chart of `[label, value]` rows (largest first unless `keepOrder`). */
export function barChart(rows: [string, number][], opts: { title: string; keepOrder?: boolean; max?: number; color?: string } = { title: '' }): string {
  const data = (opts.keepOrder ? rows : [...rows].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))).slice(0, opts.max ?? 40);
  if (data.length === 0) return `<p class="muted">${esc(opts.title)}: nothing to show.</p>`;
  const labelW = Math.min(260, Math.max(60, ...data.map(([l]) => textWidth(l) + 12)));
  const barW = 420;
  const rowH = 22;
  const h = data.length * rowH + 28;
  const max = Math.max(1, ...data.map((d) => d[1]));
  const parts = data.map(([label, v], i) => {
    const y = 24 + i * rowH;
    const w = Math.max(v > 0 ? 2 : 0, Math.round((v / max) * barW));
    return (
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(clip(label, 36))}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${opts.color ?? '#3b6ea8'}"><title>${esc(label)}: ${fmtInt(v)}</title></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 14}">${fmtInt(v)}</text>`
    );
  });
  return (
    `<svg class="chart" role="img" aria-label="${esc(opts.title)}" width="${labelW + barW + 90}" height="${h}" viewBox="0 0 ${labelW + barW + 90} ${h}">` +
    `<text x="0" y="14" class="ttl">${esc(opts.title)}</text>${parts.join('')}</svg>`
  );
}

/** Vertical histogram of `[bucket label, count]` in the given order. */
export function histogram(buckets: [string, number][], opts: { title: string; color?: string }): string {
  if (buckets.length === 0) return '';
  const colW = Math.max(14, Math.min(48, Math.floor(560 / buckets.length)));
  const plotH = 120;
  const w = buckets.length * colW + 20;
  const max = Math.max(1, ...buckets.map((b) => b[1]));
  const cols = buckets.map(([label, v], i) => {
    const bh = Math.round((v / max) * plotH);
    const x = 10 + i * colW;
    return (
      `<rect x="${x + 1}" y="${24 + plotH - bh}" width="${colW - 2}" height="${bh}" fill="${opts.color ?? '#6a8f3b'}"><title>${esc(label)}: ${fmtInt(v)}</title></rect>` +
      (buckets.length <= 24 || i % Math.ceil(buckets.length / 12) === 0 ? `<text x="${x + colW / 2}" y="${24 + plotH + 14}" text-anchor="middle" class="tick">${esc(clip(label, 6))}</text>` : '')
    );
  });
  return (
    `<svg class="chart" role="img" aria-label="${esc(opts.title)}" width="${w}" height="${plotH + 48}" viewBox="0 0 ${w} ${plotH + 48}">` +
    `<text x="0" y="14" class="ttl">${esc(opts.title)} (max ${fmtInt(max)})</text>${cols.join('')}</svg>`
  );
}

function clip(s: string, n: number): string {
  const a = Array.from(s);
  return a.length > n ? a.slice(0, n - 1).join('') + '…' : s;
}

function textWidth(s: string): number {
  let w = 0;
  for (const ch of clip(s, 36)) w += /[\u1100-\uffff]/.test(ch) ? 13 : 7;
  return w;
}
