#!/usr/bin/env node
// Times the pii rules on pathological inputs at a size n and at 4n, and prints the ratio: linear time reads
// about 4×, quadratic about 16×. The three (100 KB of digits, a 1 MB line of a@a@…, 50,000 × "1-") and
// what conversations add: an answer turn of many lines after a question (each line a number, read as an
// answer to the question), a turn of many short turns' worth of numbers, and (session 16) digit turns with the other
// speaker's acknowledgements between (n counts turns there).
//   npx tsc -b packages/pii && pnpm bench pii-pathological [--scale 1]
// Each case: the best of three runs per size (this host's two vCPUs vary from minute to minute).
import { conversationSpans, detect, getRuleEngine } from '../packages/pii/dist/index.js';

const argv = process.argv.slice(2);
const scale = Number(argv[argv.indexOf('--scale') + 1] || 1) || 1;
const engine = getRuleEngine();

/** Best wall time of three runs of `f`, in ms. */
function best(f) {
  let min = Infinity;
  for (let k = 0; k < 3; k++) {
    const a = performance.now();
    f();
    min = Math.min(min, performance.now() - a);
  }
  return min;
}

const numberLines = (n) => Array.from({ length: n }, (_, i) => (i % 2 ? `138${String(10_000_000 + i).slice(0, 8)}` : String(2_000_000 + i))).join('\n');
const cases = [
  ['digits (issue)', (n) => () => detect('1234567890'.repeat(n / 10)), 100_000],
  ['a@a@… line (issue)', (n) => () => detect('a@'.repeat(n / 2)), 1_000_000],
  ['"1-" × n/2 (issue)', (n) => () => detect('1-'.repeat(n / 2)), 100_000],
  ['answer turn of number lines', (n) => {
    const turns = [{ role: 'agent', text: '请提供您的订单号，我们为您核实，谢谢。' }, { role: 'customer', text: `好的。\n${numberLines(n / 11)}` }];
    return () => conversationSpans(turns, [engine]);
  }, 440_000],
  ['digit lines after a label each', (n) => {
    const text = Array.from({ length: n / 16 }, (_, i) => `价格\n${100_000 + i}`).join('\n');
    const turns = [{ role: 'agent', text: '麻烦提供一下您的QQ号' }, { role: 'customer', text }];
    return () => conversationSpans(turns, [engine]);
  }, 400_000],
  ['a turn of ？ between question and answer', (n) => {
    const turns = [{ role: 'agent', text: '请提供订单号' }, { role: 'agent', text: `${'？'.repeat(n)}x` }, { role: 'customer', text: '12345678' }];
    return () => conversationSpans(turns, [engine]);
  }, 40_000],
  ['好 and spaces between cue and answer', (n) => {
    const turns = [{ role: 'customer', text: '我的订单号是' }, { role: 'agent', text: `好${' '.repeat(n)}` }, { role: 'customer', text: '308669150930' }];
    return () => conversationSpans(turns, [engine]);
  }, 80_000],
  // session 16: chains over the other speaker's acknowledgements (every digit turn tries chains of up to six turns)
  ['digit turns with 好的亲 between (turns)', (n) => {
    const turns = [];
    for (let i = 0; i < n; i++) turns.push({ role: 'customer', text: String(1000 + ((i * 7919) % 9000)) }, { role: 'agent', text: '好的亲' });
    return () => conversationSpans(turns, [engine]);
  }, 20_000],
  ['40-digit turns with 对的，您说 between (turns)', (n) => {
    const turns = [];
    for (let i = 0; i < n; i++) turns.push({ role: 'customer', text: String(1e15 + i * 7919).repeat(3).slice(0, 40) }, { role: 'agent', text: '对的，您说' });
    return () => conversationSpans(turns, [engine]);
  }, 20_000],
];

console.log(`pii-pathological: best of 3 per size; ratio t(4n)/t(n): ~4 linear, ~16 quadratic`);
for (const [name, make, base] of cases) {
  const n = Math.round(base * scale);
  const t1 = best(make(n));
  const t4 = best(make(4 * n));
  console.log(`${name.padEnd(40)} n=${String(n).padStart(9)} chars: ${t1.toFixed(0).padStart(6)} ms; 4n: ${t4.toFixed(0).padStart(6)} ms; ratio ${(t4 / t1).toFixed(1)}`);
}
