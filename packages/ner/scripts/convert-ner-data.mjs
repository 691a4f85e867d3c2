// Converters from public NER corpora to the gold format {"id","text","spans":[{"type","start","end"}]}.
//   node packages/ner/scripts/convert-ner-data.mjs weibo ../shared/data/ner/weiboNER_2nd_conll.dev > weibo.jsonl
//   node packages/ner/scripts/convert-ner-data.mjs resume ../shared/data/ner/resume.dev.char.bmes > resume.jsonl
// Weibo: PER.NAM → PERSON, LOC.NAM / GPE.NAM → ADDRESS (places), ORG.NAM → ORG; nominal (NOM) mentions dropped.
// Resume: NAME → PERSON, ORG → ORG, LOC → ADDRESS. Offsets are UTF-16 code units, end exclusive.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WEIBO_MAP = { 'PER.NAM': 'PERSON', 'LOC.NAM': 'ADDRESS', 'GPE.NAM': 'ADDRESS', 'ORG.NAM': 'ORG' };
const RESUME_MAP = { NAME: 'PERSON', ORG: 'ORG', LOC: 'ADDRESS' };

function blocks(text) {
  return text.split(/\r?\n\s*\r?\n/).map((b) => b.split(/\r?\n/).filter((l) => l.length)).filter((b) => b.length);
}

/** Weibo NER: `<char><segment digit>\t<BIO tag>` per line. */
export function convertWeibo(text, prefix = 'weibo-dev') {
  return blocks(text).map((lines, n) => {
    let s = '';
    const spans = [];
    let cur = null;
    const close = () => {
      if (cur) spans.push(cur);
      cur = null;
    };
    for (const line of lines) {
      const tab = line.lastIndexOf('\t');
      const tok = line.slice(0, tab);
      const tag = line.slice(tab + 1).trim();
      const ch = tok.replace(/\d$/, '') || tok;
      const start = s.length;
      s += ch;
      const m = /^([BI])-(.+)$/.exec(tag);
      const type = m ? WEIBO_MAP[m[2]] : undefined;
      if (!m || !type) close();
      else if (m[1] === 'B' || !cur || cur.type !== type) {
        close();
        cur = { type, start, end: s.length };
      } else cur.end = s.length;
    }
    close();
    return { id: `${prefix}-${String(n + 1).padStart(4, '0')}`, text: s, spans };
  });
}

/** Resume NER: `<char> <BMES tag>` per line. */
export function convertResume(text, prefix = 'resume-dev') {
  return blocks(text).map((lines, n) => {
    let s = '';
    const spans = [];
    let cur = null;
    for (const line of lines) {
      const sp = line.lastIndexOf(' ');
      const ch = line.slice(0, sp);
      const tag = line.slice(sp + 1).trim();
      const start = s.length;
      s += ch;
      const m = /^([BMES])-(.+)$/.exec(tag);
      const type = m ? RESUME_MAP[m[2]] : undefined;
      if (!m || !type) {
        cur = null;
        continue;
      }
      if (m[1] === 'B' || m[1] === 'S' || !cur || cur.type !== type) {
        cur = { type, start, end: s.length };
        spans.push(cur);
      } else cur.end = s.length;
      if (m[1] === 'E' || m[1] === 'S') cur = null;
    }
    return { id: `${prefix}-${String(n + 1).padStart(4, '0')}`, text: s, spans };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, file] = process.argv.slice(2);
  if (!kind || !file) {
    console.error('usage: convert-ner-data.mjs weibo|resume FILE');
    process.exit(2);
  }
  const items = (kind === 'weibo' ? convertWeibo : convertResume)(readFileSync(file, 'utf8'));
  for (const it of items) process.stdout.write(JSON.stringify(it) + '\n');
}
