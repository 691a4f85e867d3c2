// Builds fixtures/ner/*.jsonl ({"id","text","spans":[{"type","start","end"}]}) from the marked-up
// sources in fixtures/ner/src/*.txt. Markup: {{P:…}} PERSON, {{A:…}} ADDRESS, {{O:…}} ORG.
// Offsets are UTF-16 code units, end exclusive. Lines starting with # are comments.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../fixtures/ner/', import.meta.url));
const TYPES = { P: 'PERSON', A: 'ADDRESS', O: 'ORG' };

export function parseMarkup(line) {
  let text = '';
  const spans = [];
  const re = /\{\{([PAO]):([^}]*)\}\}/g;
  let last = 0;
  for (let m; (m = re.exec(line)); ) {
    text += line.slice(last, m.index);
    const start = text.length;
    text += m[2];
    spans.push({ type: TYPES[m[1]], start, end: text.length });
    last = re.lastIndex;
  }
  text += line.slice(last);
  if (text.includes('{{') || text.includes('}}')) throw new Error(`bad markup: ${line}`);
  return { text, spans };
}

for (const file of readdirSync(join(root, 'src')).filter((f) => f.endsWith('.txt')).sort()) {
  const name = basename(file, '.txt');
  const lines = readFileSync(join(root, 'src', file), 'utf8').split('\n');
  const out = [];
  let n = 0;
  for (const raw of lines) {
    const line = raw.replace(/\\n/g, '\n');
    if (!raw.trim() || raw.startsWith('#')) continue;
    n++;
    out.push(JSON.stringify({ id: `${name}-${String(n).padStart(3, '0')}`, ...parseMarkup(line) }));
  }
  writeFileSync(join(root, `${name}.jsonl`), out.join('\n') + '\n');
  console.log(`${name}.jsonl: ${out.length} turns`);
}
