import { defineStage, sourcePlace, type ConversationRecord, type StageContext } from '@scrubline/core';
import { diffSample } from './mask.js';
import { createNormaliser, emptyCounts, STEPS, type NormaliseCounts } from './normaliser.js';
import { optionsSchema, type NormaliseOptions } from './options.js';

/**
 * The `normalise` stage (CLI filter `scrubline normalise`). Counters in the stage report:
 *
 * - `conversations`, `turns`, `turns.changed`
 * - `<step>.chars` characters changed by a step (nfc, zeroWidth, spaces, fullwidth, chinese;
 *   `whitespace.runs` for collapsed runs) and `<step>.turns` turns it changed
 * - `chinese.converted` / `chinese.fastPath` conversations that did / did not need conversion
 * - `emoticons.found` / `emoji.found`, plus `.mapped` or `.removed` by mode
 * - `empty.turns` (after normalisation), `empty.emptied` (had text before: emoticon/emoji removal),
 *   `empty.marked` / `empty.dropped` / `empty.kept`, `empty.conversationsDropped`
 * - `lang.zh`, `lang.en`, `lang.mixed`, `lang.other`, `lang.und`
 *
 * With `samples > 0`, `diff.<step>` samples hold masked before/after windows of changed turns
 * (every letter and digit masked, see `diffSample`) and where the record came from (`at`: input
 * file and line), not the record id: an export's ids can be phone numbers or user names.
 */
export const normaliseStage = defineStage<NormaliseOptions>({
  name: 'normalise',
  description: 'Normalise text: traditional → simplified (OpenCC phrases), width and spaces, emoticons and emoji, empty turns, language routing.',
  optionsSchema,
  // each record on its own; the summary describes the configuration, the same in every slice
  sliceable: true,
  example: { chinese: 't2s', chineseVariant: 't', emoticons: 'map', emptyTurns: 'marker', emptyMarker: '[图片]' } as NormaliseOptions,
  create: async (options, env) => {
    const normaliser = await createNormaliser(options, { rulesDir: env.rulesDir, baseDir: env.baseDir });
    if (normaliser.lexicon.refused.length) {
      env.log.warn(`normalise: ${normaliser.lexicon.refused.length} emoticon lexicon entries look like data placeholders and were ignored`);
    }
    const o = normaliser.options;
    return {
      apply(batch: ConversationRecord[], ctx: StageContext): ConversationRecord[] {
        const counts = emptyCounts();
        const track = o.samples > 0;
        const out: ConversationRecord[] = [];
        let turns = 0;
        let changed = 0;
        for (const record of batch) {
          turns += record.turns.length;
          const r = normaliser.conversation(record, counts, track);
          const rep = ctx.report;
          if (r.emptyTurns) {
            rep.count('empty.turns', r.emptyTurns);
            if (r.emptied) rep.count('empty.emptied', r.emptied);
            rep.count(o.emptyTurns === 'marker' ? 'empty.marked' : o.emptyTurns === 'drop' ? 'empty.dropped' : 'empty.kept', r.emptyTurns);
          }
          if (r.lang) rep.count(`lang.${r.lang}`);
          changed += r.changedTurns;
          if (track) {
            for (const c of r.changes) {
              for (const step of new Set(c.steps)) {
                if (!rep.wants(`diff.${step}`, o.samples)) continue;
                rep.sample(`diff.${step}`, { at: sourcePlace(record), turn: c.turn, steps: c.steps, ...diffSample(c.before, c.after) }, o.samples);
              }
            }
          }
          if (record.turns.length > 0 && r.record.turns.length === 0) {
            rep.count('empty.conversationsDropped');
            ctx.drop(record, 'empty-conversation', { emptyTurns: r.emptyTurns });
            continue;
          }
          out.push(r.record);
        }
        report(ctx, counts, batch.length, turns, changed, o);
        return out;
      },
      summary: () => ({
        chinese: normaliser.converter
          ? { direction: normaliser.converter.direction, variant: normaliser.converter.variant, dictionaries: normaliser.converter.dictionaries }
          : 'off',
        emoticonNames: normaliser.lexicon.names.size,
        emojiNames: normaliser.lexicon.emojiNames.size,
        refusedLexiconEntries: normaliser.lexicon.refused.length,
      }),
    };
  },
});

function report(ctx: StageContext, c: NormaliseCounts, conversations: number, turns: number, changed: number, o: NormaliseOptions): void {
  const rep = ctx.report;
  rep.count('conversations', conversations);
  rep.count('turns', turns);
  if (changed) rep.count('turns.changed', changed);
  for (const step of STEPS) {
    if (!c.steps[step]) continue;
    if (step === 'emoticons' || step === 'emoji') {
      const mode = step === 'emoticons' ? o.emoticons : o.emoji;
      rep.count(`${step}.found`, c.steps[step]);
      if (mode !== 'keep') rep.count(`${step}.${mode === 'map' ? 'mapped' : 'removed'}`, c.steps[step]);
    } else {
      rep.count(step === 'whitespace' ? 'whitespace.runs' : `${step}.chars`, c.steps[step]);
    }
    rep.count(`${step}.turns`, c.turns[step]);
  }
  if (c.chineseConverted) rep.count('chinese.converted', c.chineseConverted);
  if (c.chineseFastPath) rep.count('chinese.fastPath', c.chineseFastPath);
}
