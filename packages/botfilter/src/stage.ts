import { defineStage, sortKeys, type ConversationRecord, type FitPass, type Role, type Stage } from '@scrubline/core';
import { applyToRecord, type BotAction } from './classify.js';
import { FrequencyCounter, maskForReport, normaliseUtterance, utteranceKey, type FrequencyState } from './frequency.js';
import { loadRules } from './rules.js';

export interface FrequencyOptions {
  /** Run the corpus-frequency fit pass (makes the stage global). */
  enabled: boolean;
  /** Roles whose utterances are counted and matched. */
  roles: Role[];
  /** An utterance is canned when it occurs in at least this many sessions … */
  minSessions: number;
  /** … and in at least this share of all sessions (0..1) … */
  minShare: number;
  /** … and at least this many times in all. */
  minTurns: number;
  /** Normalised utterances shorter than this are never counted (so 好的 / 是的 stay). */
  minChars: number;
  /** Most utterances tracked (the bound of the fit state; see FrequencyCounter). */
  capacity: number;
}

export interface BotFilterOptions {
  /** Rule files (relative to the pipeline's folder); default every `rules/bot/*.yaml`. */
  rules: string[];
  /** Rule ids to switch off. */
  disable: string[];
  /** `tag`: turn.labels.canned = rule id / `frequent` / `role:bot`; `drop-turn`: remove canned turns and spans. */
  action: BotAction;
  /** With `tag`, set a whole-canned turn's role to the rule's `as` (bot / system). */
  relabel: boolean;
  /** Drop conversations with no customer content left (reason `no-customer-content`). */
  dropEmpty: boolean;
  frequency: FrequencyOptions;
  /** How many top canned messages the summary lists. */
  top: number;
  /**
   * A canned message is listed in the summary only when it was seen in at least this many
   * distinct conversations (lower bound of the count; default 5). See `listable` for why.
   */
  topMinSessions?: number;
}

export interface BotFilterSummary {
  frequency: null | {
    sessions: number;
    turns: number;
    capacity: number;
    tracked: number;
    exact: boolean;
    frequent: number;
    /** Share of counted (agent-side) turns that are frequent canned messages. */
    frequentTurnShare: number;
    top: { text: string; sessions: number; turns: number; uncertainty: number }[];
  };
  turns: { seen: number; canned: number; dropped: number; byRule: Record<string, number> };
  conversations: { seen: number; droppedNoCustomerContent: number };
}

const ROLE_ENUM = ['customer', 'agent', 'bot', 'system'];

/** Default of `topMinSessions`. */
export const TOP_MIN_SESSIONS = 5;

/**
 * Whether a frequent message may be shown in the report (auditors read it). The display
 * text is masked for digits, e-mails, handles and URLs, but names and other words stay:
 * an agent's own name (客服小王) or a customer's name inside an agent turn. Text repeated
 * word for word across many distinct conversations is a template, not something about
 * one person, so only messages seen in at least `min` conversations are listed; `minSessions`
 * (what makes a message canned) may be set lower for tagging, it does not lower this.
 * Uses the count's lower bound, so a bounded counter's over-estimate never lets one through.
 */
function listable(s: { sessions: number; sessionsErr: number }, min: number): boolean {
  return s.sessions - s.sessionsErr >= min;
}

export const botFilterStage = defineStage<BotFilterOptions>({
  name: 'bot-filter',
  description: 'Tag or drop canned / bot turns (rules in rules/bot plus agent utterances repeated across many sessions); drop conversations left without customer content.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rules: { description: 'rule files (relative to the pipeline folder); empty: every rules/bot/*.yaml', type: 'array', items: { type: 'string' }, default: [] },
      disable: { description: 'rule ids to switch off', type: 'array', items: { type: 'string' }, default: [] },
      action: { description: 'tag canned turns (labels.canned) or drop them (spans stripped)', enum: ['tag', 'drop-turn'], default: 'tag' },
      relabel: { description: 'with tag: set a whole-canned rule turn\'s role to the rule\'s `as`', type: 'boolean', default: false },
      dropEmpty: { description: 'drop conversations left without customer content', type: 'boolean', default: true },
      top: { description: 'canned messages listed in the summary', type: 'integer', minimum: 0, maximum: 1000, default: 20 },
      topMinSessions: {
        description: 'list a canned message in the summary only when seen in at least this many distinct conversations (text repeated across conversations is a template, not a person)',
        type: 'integer',
        minimum: 2,
        default: TOP_MIN_SESSIONS,
      },
      frequency: {
        description: 'fit pass: enabled, roles, minSessions, minShare, minTurns, minChars, capacity',
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          enabled: { description: 'run the corpus-frequency fit pass (makes the stage global)', type: 'boolean', default: true },
          roles: { description: 'roles whose utterances are counted', type: 'array', items: { enum: ROLE_ENUM }, default: ['agent'] },
          minSessions: { description: 'sessions an agent utterance must occur in to be canned', type: 'integer', minimum: 1, default: 10 },
          minShare: { description: 'share of all sessions it must occur in (0..1)', type: 'number', minimum: 0, maximum: 1, default: 0 },
          minTurns: { description: 'occurrences it must have', type: 'integer', minimum: 0, default: 0 },
          minChars: { description: 'shorter normalised utterances are never counted', type: 'integer', minimum: 0, default: 4 },
          capacity: { description: 'most utterances tracked (memory bound about 0.5 KiB each, x2 before a prune)', type: 'integer', minimum: 1, maximum: 10000000, default: 50000 },
        },
      },
    },
  },
  example: { rules: [], disable: [], action: 'tag', relabel: false, dropEmpty: true, top: 20, topMinSessions: TOP_MIN_SESSIONS, frequency: { enabled: true, roles: ['agent'], minSessions: 10, minShare: 0, minTurns: 0, minChars: 4, capacity: 50000 } },
  // global when its frequency fit pass runs (the default)
  global: (options) => options.frequency?.enabled !== false,
  // once the frequency table is loaded, each record is classified on its own: the phase after the
  // fit may run on slices (`run --threads`), each instance loaded with the same table
  sliceableAfterFit: true,
  mergeSummaries: (list) => mergeBotFilterSummaries(list as BotFilterSummary[]),
  create: (options, env) => createBotFilter(options, { rulesDir: env.rulesDir, baseDir: env.baseDir }),
});

/** The frequency fit pass on its own (pure; used by the stage and by benchmarks). */
export function frequencyFit(f: FrequencyOptions): FitPass<FrequencyState> & { merged(): FrequencyCounter | null; frequentKeys(): Set<string> } {
  const counter = new FrequencyCounter(f.capacity);
  let merged: FrequencyCounter | null = null;
  let frequent = new Set<string>();
  return {
    observe(batch) {
      for (const r of batch) counter.addSession(sessionUtterances(r, f));
    },
    state: () => counter.toState(),
    load(states) {
      merged = FrequencyCounter.merge(states, f.capacity);
      frequent = new Set();
      for (const [key, s] of merged.entries()) if (isFrequent(s, merged.sessionsTotal, f)) frequent.add(key);
    },
    concat: (states) => FrequencyCounter.concat(states, f.capacity),
    merged: () => merged,
    frequentKeys: () => frequent,
  };
}

function isFrequent(s: { sessions: number; sessionsErr: number; turns: number; turnsErr: number }, sessionsTotal: number, f: FrequencyOptions): boolean {
  // Lower bounds: an utterance is called frequent only when it surely is.
  const sessions = s.sessions - s.sessionsErr;
  const turns = s.turns - s.turnsErr;
  return sessions >= f.minSessions && turns >= f.minTurns && sessionsTotal > 0 && sessions / sessionsTotal >= f.minShare;
}

/** key → [occurrences in this record, its masked display text (made when asked)] for the counted roles. */
export function sessionUtterances(r: ConversationRecord, f: Pick<FrequencyOptions, 'roles' | 'minChars'>): Map<string, [number, () => string]> {
  const m = new Map<string, [number, () => string]>();
  for (const t of r.turns) {
    if (!f.roles.includes(t.role)) continue;
    const norm = normaliseUtterance(t.text);
    if (norm.length < Math.max(1, f.minChars)) continue; // UTF-16 units: a character outside the BMP counts twice
    const key = utteranceKey(norm);
    const e = m.get(key);
    if (e) e[0]++;
    // masked for display only if the counter makes the key a slot
    else m.set(key, [1, () => maskForReport(t.text.replace(/\s+/gu, ' ').trim())]);
  }
  return m;
}

export function createBotFilter(options: BotFilterOptions, where: { rulesDir: string; baseDir: string }): Stage {
  const rules = loadRules({ files: options.rules, disable: options.disable, rulesDir: where.rulesDir, baseDir: where.baseDir });
  const f = options.frequency;
  const fit = f.enabled ? frequencyFit(f) : null;
  const topMin = Math.max(2, options.topMinSessions ?? TOP_MIN_SESSIONS);
  const byRule: Record<string, number> = {};
  const totals = { turns: 0, canned: 0, dropped: 0, conversations: 0, empty: 0 };

  const stage: Stage = {
    apply(batch, ctx) {
      const frequent = fit?.frequentKeys();
      const out: ConversationRecord[] = [];
      for (const record of batch) {
        const res = applyToRecord(record, { rules, frequent, frequencyRoles: f.roles, action: options.action, relabel: options.relabel });
        totals.conversations++;
        totals.turns += record.turns.length;
        totals.dropped += res.turnsDropped;
        for (const v of res.verdicts) {
          if (!v?.canned) continue;
          totals.canned++;
          byRule[v.canned] = (byRule[v.canned] ?? 0) + 1;
          ctx.report.count(`canned.${v.canned}`);
        }
        if (res.turnsDropped) ctx.report.count('turns.dropped', res.turnsDropped);
        if (options.dropEmpty && res.noCustomerContent) {
          totals.empty++;
          ctx.report.count('no-customer-content');
          ctx.drop(record, 'no-customer-content', { cannedTurns: res.verdicts.filter(Boolean).length, turns: record.turns.length });
          continue;
        }
        out.push(res.record);
      }
      return out;
    },
    summary(): BotFilterSummary {
      const merged = fit?.merged() ?? null;
      let frequency: BotFilterSummary['frequency'] = null;
      if (merged) {
        const keys = fit!.frequentKeys();
        const entries = merged.entries().filter(([k]) => keys.has(k));
        const frequentTurns = entries.reduce((n, [, s]) => n + s.turns, 0);
        frequency = {
          sessions: merged.sessionsTotal,
          turns: merged.turnsTotal,
          capacity: f.capacity,
          tracked: merged.size,
          exact: merged.floorSessions === 0,
          frequent: entries.length,
          frequentTurnShare: merged.turnsTotal ? round4(frequentTurns / merged.turnsTotal) : 0,
          top: entries.filter(([, s]) => listable(s, topMin)).slice(0, options.top).map(([, s]) => ({ text: s.text, sessions: s.sessions, turns: s.turns, uncertainty: s.sessionsErr })),
        };
      }
      return {
        frequency,
        turns: { seen: totals.turns, canned: totals.canned, dropped: totals.dropped, byRule: sortKeys(byRule) },
        conversations: { seen: totals.conversations, droppedNoCustomerContent: totals.empty },
      };
    },
  };
  if (fit) stage.fit = fit;
  return stage;
}

/** One summary from those of instances loaded with the same frequency table, each over consecutive records (in order). */
export function mergeBotFilterSummaries(list: BotFilterSummary[]): BotFilterSummary {
  const byRule: Record<string, number> = {};
  const turns = { seen: 0, canned: 0, dropped: 0 };
  const conversations = { seen: 0, droppedNoCustomerContent: 0 };
  for (const s of list) {
    turns.seen += s.turns.seen;
    turns.canned += s.turns.canned;
    turns.dropped += s.turns.dropped;
    for (const [k, v] of Object.entries(s.turns.byRule)) byRule[k] = (byRule[k] ?? 0) + v;
    conversations.seen += s.conversations.seen;
    conversations.droppedNoCustomerContent += s.conversations.droppedNoCustomerContent;
  }
  // the table is the same in every instance, and so is what the summary says of it
  return { frequency: list[0]?.frequency ?? null, turns: { ...turns, byRule: sortKeys(byRule) }, conversations };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
