import { detectors, ScrubError, type Detector, type Logger } from '@scrubline/core';
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

/** Runs the detectors over every gold text; the predictions have the `scrubline detect` shape. */
export async function detectAll(gold: GoldLine[], o: DetectAllOptions): Promise<PredLine[]> {
  const dets = await createDetectors(o);
  return gold.map((g) => {
    const lang = guessLang(g.text);
    return { id: g.id, spans: dets.flatMap((d) => d.detect(g.text, { lang }).map((s) => ({ type: s.type, start: s.start, end: s.end, score: s.score, rule: s.rule }))) };
  });
}
