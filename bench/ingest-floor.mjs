// The floor for `pnpm bench ingest` on the same files: what plain Node does with
// no validation, mapping, ledger or hashing — read → decode (streaming TextDecoder)
// → split lines → JSON.parse (JSONL) or split('\t') (TSV) → JSON.stringify → write.
// Usage: pnpm bench ingest-floor FILE [FILE...]   (files made by `pnpm bench ingest … --keep`)
import fs from 'node:fs';
import { once } from 'node:events';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.log('usage: pnpm bench ingest-floor bench/data/gen-500mb.tsv bench/data/gen-500mb.jsonl (make them with pnpm bench ingest 500 --keep)');
  process.exit(0);
}
for (const f of files) {
  const size = fs.statSync(f).size / 1e6;
  const tsv = /\.tsv/.test(f);
  for (const write of [false, true]) {
    const t0 = performance.now();
    const td = new TextDecoder('utf-8');
    const w = write ? fs.createWriteStream('/dev/null') : null;
    let rest = '';
    for await (const b of fs.createReadStream(f, { highWaterMark: 1 << 20 })) {
      const s = rest + td.decode(b, { stream: true });
      let i = 0;
      let j;
      let out = '';
      while ((j = s.indexOf('\n', i)) !== -1) {
        const line = s.slice(i, j);
        const v = tsv ? line.split('\t') : JSON.parse(line);
        if (write) out += JSON.stringify(v) + '\n';
        i = j + 1;
      }
      rest = s.slice(i);
      if (w && !w.write(out)) await once(w, 'drain');
    }
    if (w) {
      w.end();
      await once(w, 'finish');
    }
    console.log(`${f}: ${write ? 'read+decode+parse+stringify+write' : 'read+decode+parse'}: ${(size / ((performance.now() - t0) / 1000)).toFixed(1)} MB/s`);
  }
}
