import type { Role } from './record.js';
import type { StageEnv } from './stage.js';

/**
 * A PII span: offsets are UTF-16 code units of the ORIGINAL text, end exclusive.
 * `type` is one of the entity names (PERSON_ID, PHONE, …, PERSON, ADDRESS, ORG);
 * `rule` the id of the rule or model that found it (e.g. `phone.cn.mobile`).
 */
export interface PiiSpan {
  type: string;
  start: number;
  end: number;
  score: number;
  rule: string;
}

export interface DetectContext {
  role?: Role;
  /** Language routing result (`zh`, `en`, `mixed`) when the normalise stage set it. */
  lang?: string;
}

/** Anything that finds spans in a text: the regex rule packs, the NER tier. */
export interface Detector {
  readonly name: string;
  detect(text: string, ctx?: DetectContext): PiiSpan[];
}

export interface DetectorDefinition<O = any> {
  /** Name used in the pii stage's `detectors:` option and `scrubline detect --detectors`. */
  name: string;
  description: string;
  /** Entity types it can emit. */
  types: string[];
  create(options: O, env: Pick<StageEnv, 'baseDir' | 'rulesDir' | 'log'>): Detector | Promise<Detector>;
}

/**
 * Detector registry. Packages register their detectors when imported, so the
 * pii package can use the NER tier without depending on it at build time.
 */
class DetectorRegistry {
  private readonly map = new Map<string, DetectorDefinition>();
  register(def: DetectorDefinition): void {
    this.map.set(def.name, def);
  }
  get(name: string): DetectorDefinition | undefined {
    return this.map.get(name);
  }
  names(): string[] {
    return [...this.map.keys()].sort();
  }
}

export const detectors = new DetectorRegistry();
