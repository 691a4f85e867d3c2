#!/usr/bin/env node
// Scrubs every utterance of the NTCIR STC-3 DCH Chinese training dialogues with the pii rule packs
// (placeholder operator, one scope per dialogue) and counts what a simple residual regex still finds.
//   npx tsc -b packages/pii && node bench/pii-stc3.mjs [path/to/train_data_cn.json.gz]
// Prints counts only, and masked shapes (digits → #, letters → x): never a raw value.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { ConversationScope, scrubText, checkResidentId } from '../packages/pii/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const path = process.argv[2] ?? `${root}../shared/data/stc3-dch/train_data_cn.json.gz`;
if (!existsSync(path)) {
  console.log(`pii-stc3: ${path} is missing (it lives in ../shared/data, which a user's clone does not have); nothing measured.`);
  process.exit(0);
}
const dialogues = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));

const RESIDUAL = {
  mobile: /(?<![0-9])1[3-9][0-9]{9}(?![0-9])/g,
  email: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g,
  resident_id: /(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])/g,
};
// wider sweep, reported for the note (not a target): long digit runs, @ signs, URL-like strings
const WIDE = {
  digits7: /[0-9]{7,}/g,
  at_sign: /@[^\s@]{0,20}/g,
  url_like: /(?:https?:\/\/|www\.)[^\s，。]{1,200}/g,
};
const shape = (s) => s.replace(/[0-9]/g, '#').replace(/[A-Za-z]/g, 'x').replace(/[\u4e00-\u9fff]/g, '字');

const count = (patterns, texts) => {
  const out = {};
  for (const [k, re] of Object.entries(patterns)) {
    out[k] = { n: 0, shapes: new Map() };
    for (const t of texts) {
      re.lastIndex = 0;
      let m;
      while ((m = re.exec(t))) {
        out[k].n++;
        const sh = shape(m[0]);
        out[k].shapes.set(sh, (out[k].shapes.get(sh) ?? 0) + 1);
      }
    }
  }
  return out;
};

const before = [];
const after = [];
const found = {};
let kept = 0;
const t0 = performance.now();
for (const d of dialogues) {
  const scope = new ConversationScope(String(d.id));
  for (const turn of d.turns) {
    for (const u of turn.utterances) {
      before.push(u);
      const r = scrubText(u, { scope });
      after.push(r.text);
      kept += r.kept.length;
      for (const s of r.spans) found[s.type] = (found[s.type] ?? 0) + 1;
    }
  }
}
const ms = performance.now() - t0;
const bytes = before.reduce((a, t) => a + Buffer.byteLength(t), 0);
console.log(`pii-stc3: ${dialogues.length} dialogues, ${before.length} utterances, ${(bytes / 1e6).toFixed(2)} MB of text, scrubbed in ${(ms / 1000).toFixed(1)} s`);
console.log(`findings by type: ${JSON.stringify(found)}; kept (placeholders, service numbers, brand @accounts): ${kept}`);
const show = (title, res) => {
  console.log(title);
  for (const [k, v] of Object.entries(res)) {
    const top = [...v.shapes].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([s, n]) => `${s} ×${n}`).join(', ');
    console.log(`  ${k.padEnd(12)} ${String(v.n).padStart(6)}${top ? `   e.g. ${top}` : ''}`);
  }
};
show('residual regex BEFORE scrubbing:', count(RESIDUAL, before));
const res = count(RESIDUAL, after);
show('residual regex AFTER scrubbing (target: 0 each):', res);
show('wider sweep AFTER scrubbing (for the note):', count(WIDE, after));
// an 18-digit run is only a resident ID if its region, birth date or check character hold
const idRuns = [];
for (const t of after) for (const m of t.matchAll(RESIDUAL.resident_id)) idRuns.push(checkResidentId(m[0]));
const plausibleIds = idRuns.filter((c) => c.checksum || (c.region && c.date)).length;
if (idRuns.length) console.log(`  resident_id shapes left: ${idRuns.length}, of which plausible IDs (check char, or region + date valid): ${plausibleIds}`);
const leftover = res.mobile.n + res.email.n + plausibleIds;
console.log(leftover === 0 ? `OK: no mobile, e-mail or resident ID left${idRuns.length ? ` (${idRuns.length} ID-shaped digit run(s) failing the check character and the region/date checks)` : ''}` : `NOT OK: ${leftover} mobile/e-mail/ID values left`);
process.exitCode = leftover === 0 ? 0 : 1;
