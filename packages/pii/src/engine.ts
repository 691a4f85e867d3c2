import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulePacks, RuleEngine, type RuleEngineOptions, type RulePack } from './rules.js';

/** The repository's `rules/` folder, found from this module (src/ or dist/ of packages/pii). */
export function defaultRulesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const dir = join(here, '..', '..', '..', 'rules');
  return existsSync(dir) ? dir : join(process.cwd(), 'rules');
}

export interface EngineOptions extends RuleEngineOptions {
  rulesDir?: string;
  /** Already-loaded packs (worker threads get them this way). */
  rulePacks?: RulePack[];
}

const cache = new Map<string, RuleEngine>();

/** A rule engine for these options; engines are cached by options (they are immutable). */
export function getRuleEngine(options: EngineOptions = {}): RuleEngine {
  // only what shapes the engine (scrubText passes its whole options object, scope included)
  const key = JSON.stringify([
    options.rulesDir ?? null,
    options.rulePacks ? options.rulePacks.map((p) => p.pack) : null,
    options.packs ?? null,
    options.thresholds ?? null,
    options.disable ?? null,
    options.disableRules ?? null,
    options.minNumeralRun ?? null,
  ]);
  let e = cache.get(key);
  if (!e) {
    const packs = options.rulePacks ?? loadRulePacks(options.rulesDir ?? defaultRulesDir(), options.packs);
    e = new RuleEngine(packs, options);
    cache.set(key, e);
  }
  return e;
}
