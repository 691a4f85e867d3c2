// Ingest throughput and memory: a generated row-per-message TSV export and a
// conversation-per-line JSONL file, each at several sizes, through
// `scrubline ingest … --out FILE` (read → decode → group/map → NDJSON → file).
// Usage: pnpm bench ingest [sizesMB=100,500,1000] [--keep] [--only tsv,jsonl,tsv-real,jsonl-real] [--pin [--cpu N]]
// --pin runs each ingest under `taskset -c N` (default 0): one core for everything, V8's GC and I/O threads
// included. This VM's vCPUs can differ in speed at a given moment (`pnpm bench cpu-speeds`): pin to each.
// Two kinds of data: 'tsv'/'jsonl' are synthetic and dense in Hanzi (the hard case: UTF-8 →
// UTF-16 decoding dominates); 'tsv-real'/'jsonl-real' replicate the real JDDC rows and STC-3
// dialogues from ../shared (new ids per copy), so the byte mix is that of real exports.
// Targets (issue 2): TSV ≥ 40 MB/s, JSONL ≥ 60 MB/s on one core; peak RSS ≤ 250 MB and flat.
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, 'data');
mkdirSync(dataDir, { recursive: true });
const sizes = (process.argv[2] ?? '100,500,1000').split(',').map(Number);
const keep = process.argv.includes('--keep');
const pin = process.argv.includes('--pin');
const cpuArg = process.argv.indexOf('--cpu');
const cpu = cpuArg > 0 ? process.argv[cpuArg + 1] : '0';
const onlyArg = process.argv.indexOf('--only');
const shared = join(here, '../../shared/data');
const haveShared = existsSync(join(shared, 'jddc-sample/chat_0.1per.txt')) && existsSync(join(shared, 'stc3-dch/train_data_cn.json.gz'));
let kinds = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : ['tsv', 'jsonl', 'tsv-real', 'jsonl-real'];
if (!haveShared && kinds.some((k) => k.endsWith('-real'))) {
  console.log('../shared/data is missing: the real-shaped data sets (tsv-real, jsonl-real) are skipped');
  kinds = kinds.filter((k) => !k.endsWith('-real'));
}
let realRows = null;
let realDialogues = null;
if (haveShared) {
  const { readFileSync } = await import('node:fs');
  const { gunzipSync } = await import('node:zlib');
  realRows = readFileSync(join(shared, 'jddc-sample/chat_0.1per.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  realDialogues = JSON.parse(gunzipSync(readFileSync(join(shared, 'stc3-dch/train_data_cn.json.gz'))).toString('utf8'));
}

let s = 12345;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const hanzi = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严';
const zh = (n) => {
  let out = '';
  for (let i = 0; i < n; i++) out += hanzi[Math.floor(rand() * hanzi.length)];
  return out;
};

async function gen(path, targetMB, kind) {
  if (existsSync(path) && statSync(path).size >= targetMB * 1e6) return;
  const w = createWriteStream(path);
  let bytes = 0;
  let session = 0;
  while (bytes < targetMB * 1e6) {
    let chunk = '';
    for (let k = 0; k < 200; k++) {
      session++;
      const sid = session.toString(16).padStart(32, '0');
      const n = 6 + Math.floor(rand() * 12);
      if (kind === 'tsv-real') {
        // one real session's rows under a new session id
        const start = Math.floor(rand() * (realRows.length - 30));
        const first = realRows[start][0];
        let i = start;
        while (i < realRows.length && realRows[i][0] === first) {
          const r = realRows[i++];
          chunk += `${sid}\t${r[1]}\t${r[2]}\t${r[3]}\t${r[4]}\t${r[5]}\t${r[6]}\n`;
        }
      } else if (kind === 'jsonl-real') {
        const d = realDialogues[Math.floor(rand() * realDialogues.length)];
        chunk += JSON.stringify({ ...d, id: sid }) + '\n';
      } else if (kind === 'tsv') {
        for (let i = 0; i < n; i++) chunk += `${sid}\tUSERID_${10000000 + (session % 999983)}\t${i % 2}\t0\t0\tnan\t${zh(10 + Math.floor(rand() * 40))}\n`;
      } else {
        const turns = [];
        for (let i = 0; i < n; i++) turns.push({ sender: i % 2 ? 'helpdesk' : 'customer', utterances: [zh(10 + Math.floor(rand() * 40))] });
        chunk += JSON.stringify({ id: sid, turns, annotations: [{ quality: { S: 0, A: 1, E: -1 } }, { quality: { S: 1, A: 1, E: 0 } }, { quality: { S: 0, A: 0, E: 0 } }] }) + '\n';
      }
    }
    bytes += Buffer.byteLength(chunk);
    if (!w.write(chunk)) await once(w, 'drain');
  }
  w.end();
  await once(w, 'finish');
}

const configs = {
  tsv: `input:
  files: PLACEHOLDER
  format: tsv
  csv: { header: false, quote: false, columns: [session_id, user_id, waiter_send, transfer, repeat, sku, content] }
  shape: rows
  rows:
    session: session_id
    role: { column: waiter_send, map: { "0": customer, "1": agent } }
    text: content
    meta: { customerId: user_id }
`,
  jsonl: `input:
  files: PLACEHOLDER
  format: jsonl
  shape: documents
  documents:
    id: id
    turns: turns
    role: { path: sender, map: { customer: customer, helpdesk: agent } }
    text: { path: utterances, join: "\\n" }
    labels: { votes.S: "annotations[*].quality.S" }
`,
};

console.log(`ingest benchmark on ${process.version}, ${(await import('node:os')).cpus().length} cores (the CLI is single-threaded)${pin ? `; pinned to CPU ${cpu} with taskset` : ''}; load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
for (const kind of kinds) {
  for (const mb of sizes) {
    const file = join(dataDir, `gen-${mb}mb.${kind}`);
    await gen(file, mb, kind);
    const cfg = join(dataDir, `ingest-${kind}.yaml`);
    writeFileSync(cfg, configs[kind.replace('-real', '')].replace('PLACEHOLDER', file));
    const out = join(dataDir, `out-${kind}.ndjson`);
    const args = [join(here, 'lib/measure.mjs'), 'ingest', cfg, '--out', out, '--quiet'];
    const r = pin ? spawnSync('taskset', ['-c', cpu, process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
    const last = r.stderr.trim().split('\n').pop();
    let m;
    try {
      m = JSON.parse(last);
    } catch {
      console.log(r.stderr);
      process.exit(1);
    }
    const size = statSync(file).size;
    console.log(`${kind.padEnd(10)} ${String(mb).padStart(5)} MB input: ${(size / 1e6 / (m.ms / 1000)).toFixed(1).padStart(6)} MB/s, ${(m.ms / 1000).toFixed(1)} s, peak RSS ${m.maxRssMB.toFixed(0)} MB, exit ${m.code}`);
    rmSync(out, { force: true });
    if (!keep) rmSync(file, { force: true });
  }
}
