import { hash52, maskDigitRuns } from '@scrubline/core';

/**
 * Bounded heavy-hitter counter for agent utterances (SpaceSaving-style, with
 * batch pruning). At most `capacity` utterances are tracked; each holds a
 * 52-bit key, two counters, two error terms and a masked display text of at
 * most `maxDisplayChars` characters. When the table reaches 2 × capacity it is
 * pruned back to `capacity` by session count; `floor` remembers the largest
 * count ever pruned, so an utterance that comes back starts at `floor` with
 * `err = floor` (SpaceSaving's over-estimate). Invariant: for every tracked
 * key, `sessions - sessionsErr <= true sessions <= sessions`; an untracked key
 * has at most `floor` sessions. Below capacity the counts are exact.
 */
export interface FrequencyState {
  v: 1;
  capacity: number;
  /** Sessions observed (records with at least one counted turn). */
  sessionsTotal: number;
  /** Turns counted (agent-side turns). */
  turnsTotal: number;
  floorSessions: number;
  floorTurns: number;
  /** Sorted by key (hash52 of the normalised utterance, decimal) for byte-stable JSON; counts are upper bounds, errs their slack. */
  entries: [key: string, sessions: number, sessionsErr: number, turns: number, turnsErr: number, text: string][];
}

interface Slot {
  sessions: number;
  sessionsErr: number;
  turns: number;
  turnsErr: number;
  text: string;
}

export class FrequencyCounter {
  private readonly map = new Map<string, Slot>();
  sessionsTotal = 0;
  turnsTotal = 0;
  floorSessions = 0;
  floorTurns = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * Counts one session: `utterances` maps a key to [occurrences in this session, display text]. The
   * text may be given as a function: it is called only when the key gets a slot (masking every
   * utterance of every session for the few that are new cost more than the counting).
   */
  addSession(utterances: Map<string, [number, string | (() => string)]>): void {
    if (utterances.size === 0) return;
    this.sessionsTotal++;
    for (const [key, [n, text]] of utterances) {
      this.turnsTotal += n;
      let s = this.map.get(key);
      if (!s) {
        s = { sessions: this.floorSessions, sessionsErr: this.floorSessions, turns: this.floorTurns, turnsErr: this.floorTurns, text: typeof text === 'string' ? text : text() };
        this.map.set(key, s);
      }
      s.sessions += 1;
      s.turns += n;
    }
    if (this.map.size >= 2 * this.capacity) this.prune();
  }

  /** Keeps the `capacity` entries with the most sessions (ties: more turns, then key order). */
  prune(): void {
    if (this.map.size <= this.capacity) return;
    const all = [...this.map.entries()].sort(compareSlots);
    for (let i = this.capacity; i < all.length; i++) {
      const [key, s] = all[i];
      if (s.sessions > this.floorSessions) this.floorSessions = s.sessions;
      if (s.turns > this.floorTurns) this.floorTurns = s.turns;
      this.map.delete(key);
    }
  }

  entries(): [string, Slot][] {
    return [...this.map.entries()].sort(compareSlots);
  }

  get(key: string): Slot | undefined {
    return this.map.get(key);
  }

  toState(): FrequencyState {
    this.prune();
    const keys = [...this.map.keys()].sort();
    return {
      v: 1,
      capacity: this.capacity,
      sessionsTotal: this.sessionsTotal,
      turnsTotal: this.turnsTotal,
      floorSessions: this.floorSessions,
      floorTurns: this.floorTurns,
      entries: keys.map((k) => {
        const s = this.map.get(k)!;
        return [k, s.sessions, s.sessionsErr, s.turns, s.turnsErr, s.text];
      }),
    };
  }

  /**
   * The state one counter would have made over consecutive slices of the input, from the
   * slices' states in input order (`run --threads`); null unless every count is exact
   * (no slice pruned, and one counter would not have pruned either: at most `capacity`
   * utterances in all). An utterance keeps the display text it was first seen with.
   */
  static concat(states: FrequencyState[], capacity: number): FrequencyState | null {
    if (states.some((st) => st.floorSessions !== 0 || st.floorTurns !== 0 || st.capacity !== capacity)) return null;
    const slots = new Map<string, FrequencyState['entries'][number]>();
    for (const st of states) {
      for (const [k, sessions, , turns, , text] of st.entries) {
        const e = slots.get(k);
        if (e) {
          e[1] += sessions;
          e[3] += turns;
        } else slots.set(k, [k, sessions, 0, turns, 0, text]);
      }
    }
    if (slots.size > capacity) return null;
    return {
      v: 1,
      capacity,
      sessionsTotal: states.reduce((n, st) => n + st.sessionsTotal, 0),
      turnsTotal: states.reduce((n, st) => n + st.turnsTotal, 0),
      floorSessions: 0,
      floorTurns: 0,
      entries: [...slots.keys()].sort().map((k) => slots.get(k)!),
    };
  }

  /**
   * Merges shard summaries (Agarwal et al., mergeable summaries): a key missing
   * from a shard's table may have had up to that shard's floor there, so that
   * floor is added to its count and its error. Exact when no shard pruned.
   */
  static merge(states: FrequencyState[], capacity: number): FrequencyCounter {
    const out = new FrequencyCounter(capacity);
    const keys = new Set<string>();
    const maps = states.map((st) => {
      const m = new Map<string, FrequencyState['entries'][number]>();
      for (const e of st.entries) {
        m.set(e[0], e);
        keys.add(e[0]);
      }
      return m;
    });
    for (const st of states) {
      out.sessionsTotal += st.sessionsTotal;
      out.turnsTotal += st.turnsTotal;
      out.floorSessions += st.floorSessions;
      out.floorTurns += st.floorTurns;
    }
    for (const key of [...keys].sort()) {
      const slot: Slot = { sessions: 0, sessionsErr: 0, turns: 0, turnsErr: 0, text: '' };
      states.forEach((st, i) => {
        const e = maps[i].get(key);
        if (e) {
          slot.sessions += e[1];
          slot.sessionsErr += e[2];
          slot.turns += e[3];
          slot.turnsErr += e[4];
          if (!slot.text) slot.text = e[5];
        } else {
          slot.sessions += st.floorSessions;
          slot.sessionsErr += st.floorSessions;
          slot.turns += st.floorTurns;
          slot.turnsErr += st.floorTurns;
        }
      });
      out.map.set(key, slot);
    }
    out.prune();
    return out;
  }
}

function compareSlots(a: [string, Slot], b: [string, Slot]): number {
  return b[1].sessions - a[1].sessions || b[1].turns - a[1].turns || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Normalisation for counting and matching: NFKC, whitespace collapsed and trimmed, lower case. */
export function normaliseUtterance(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

export function utteranceKey(normalised: string): string {
  return String(hash52(normalised));
}

/**
 * Masks what could identify someone in a message shown in a report: URLs (a
 * link may carry an order or user id), runs of 5 or more digits (ASCII or
 * full-width, possibly split by spaces or dashes), e-mail addresses and
 * @handles, and core's `maskDigitRuns` for runs of six or more written with
 * other separators or in Chinese numerals. Canned messages are agent boilerplate, but a hotline or account
 * number may still sit in one; so may an account name (letters with an underscore, or lower-case letters and four
 * digits), an e-mail spoken (at … dot) or a link without a scheme to a page (a path), which are masked too.
 * Names are not masked here (an agent's name in a greeting shows): the summary lists only messages seen in many
 * conversations (see `listable` in stage.ts).
 */
export function maskForReport(text: string, maxChars = 120): string {
  let t = text
    .replace(/\b(?:https?:\/\/|www\.)[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/gi, '<url>')
    .replace(/[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '<email>')
    // an e-mail spoken (liuyang at example dot com) and a link without a scheme (shop.example.com/u/…)
    .replace(/[A-Za-z0-9._-]+ ?(?:\(at\)|\[at\]|\bat\b|艾特) ?[A-Za-z0-9-]+ ?(?:\(dot\)|\[dot\]|\bdot\b|点) ?(?:com|cn|net|org)\b/gi, '<email>')
    .replace(/\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|cn|net|org|io|me|cc|top|xyz|info|co)\/[^\s，。！？、]+/gi, '<url>')
    .replace(/[@＠][\p{L}\p{N}_-]+/gu, '@<handle>')
    // an account name: letters with an underscore (wxid_k8m2p9q4, zhangsan_1988) or lower-case letters and four digits
    // or more (lily2020); product codes (iPhone15, RTX4090, 15000mAh, Win10) stay readable
    .replace(/\b(?:[A-Za-z][A-Za-z0-9-]*_[A-Za-z0-9_-]+|[a-z]{3,}[0-9]{4,}[a-z0-9]*)\b/g, '<id>')
    .replace(/[0-9０-９](?:[\s-]?[0-9０-９]){4,}/g, (m) => '#'.repeat(Math.min(m.replace(/[\s-]/g, '').length, 20)));
  // and core's rule for longer runs in other separators or numerals (138－1234－5678, 一三八…)
  t = maskDigitRuns(t);
  if (t.length > maxChars) t = t.slice(0, maxChars) + '…';
  return t;
}
