import { detectors, ScrubError, type Detector, type Logger, type PiiSpan } from '@scrubline/core';
import { conversationSpans } from '@scrubline/pii';
import type { GoldLine, PredLine } from './jsonl.js';

export interface DetectAllOptions {
  /** Registered detector names (default `['rules']`, registered by importing `@scrubline/pii`). */
  detectors?: string[];
  /** Options per detector name, passed to its `create`. */
  detectorOptions?: Record<string, unknown>;
  rulesDir: string;
  baseDir: string;
  log: Logger;
}

/** Han characters mark a line as Chinese for the detectors' language routing. */
export function guessLang(text: string): 'zh' | 'en' {
  return /\p{Script=Han}/u.test(text) ? 'zh' : 'en';
}

/** Creates the named detectors from core's registry. Unknown names fail with the list of known ones. */
export async function createDetectors(o: DetectAllOptions): Promise<Detector[]> {
  const names = o.detectors?.length ? o.detectors : ['rules'];
  const out: Detector[] = [];
  for (const name of names) {
    const def = detectors.get(name);
    if (!def) {
      const known = detectors.names();
      throw new ScrubError('SCRUB_USAGE', `no detector named '${name}' is registered`, {
        hint: known.length ? `known detectors: ${known.join(', ')}` : 'no detector is registered: is @scrubline/pii built and imported?',
      });
    }
    out.push(await def.create(o.detectorOptions?.[name] ?? {}, { baseDir: o.baseDir, rulesDir: o.rulesDir, log: o.log }));
  }
  return out;
}

/**
 * Runs the detectors over every gold text; the predictions have the `scrubline detect` shape. The turns of
 * a labelled conversation are detected together, as `scrubline detect` and the pii stage read them.
 */
export async function detectAll(gold: GoldLine[], o: DetectAllOptions): Promise<PredLine[]> {
  const dets = await createDetectors(o);
  const out: PredLine[] = [];
  const spansJson = (spans: readonly PiiSpan[]) => spans.map((s) => ({ type: s.type, start: s.start, end: s.end, score: s.score, rule: s.rule }));
  for (let i = 0; i < gold.length; ) {
    const c = gold[i].conversation;
    if (!c) {
      const g = gold[i++];
      const lang = guessLang(g.text);
      out.push({ id: g.id, spans: dets.flatMap((d) => spansJson(d.detect(g.text, { lang }))) });
      continue;
    }
    let j = i;
    while (j < gold.length && gold[j].conversation?.id === c.id) j++;
    const turns = gold.slice(i, j);
    conversationSpans(turns.map((g) => ({ role: g.conversation!.role, text: g.text, lang: guessLang(g.text) })), dets).forEach((spans, k) => out.push({ id: turns[k].id, spans: spansJson(spans) }));
    i = j;
  }
  return out;
}
