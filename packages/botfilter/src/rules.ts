import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRuleYaml, ROLES, ScrubError, type Role } from '@scrubline/core';

/**
 * A canned-reply rule as written in `rules/bot/*.yaml`:
 *
 * ```yaml
 * rules:
 *   - id: event-transfer            # stable id, written to turn.labels.canned
 *     description: system event logged as customer text
 *     roles: [customer]             # roles it applies to (default: agent, bot, system)
 *     text: 用户发起转人工            # whole-turn literal (whitespace-trimmed), or:
 *     pattern: '^\s*咨询订单号[:：]'  # a regex (u flag, i flag with `ignoreCase: true`)
 *     scope: turn                   # turn: a match makes the whole turn canned;
 *                                   # span: only the matched text is canned (stripped on drop-turn)
 *     as: system                    # what the turn really is (bot | system); used by relabel
 * ```
 */
export interface BotRule {
  id: string;
  description?: string;
  roles: Role[];
  scope: 'turn' | 'span';
  as: 'bot' | 'system';
  regex: RegExp;
  file: string;
}

interface RawRule {
  id?: unknown;
  description?: unknown;
  roles?: unknown;
  text?: unknown;
  pattern?: unknown;
  ignoreCase?: unknown;
  scope?: unknown;
  as?: unknown;
}

const DEFAULT_ROLES: Role[] = ['agent', 'bot', 'system'];

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses one YAML document of rules; `file` is only used in error messages. */
export function parseRules(yamlText: string, file: string): BotRule[] {
  let doc: unknown;
  try {
    doc = parseRuleYaml(yamlText);
  } catch (e) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', `bot rules are not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  const list = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw new ScrubError('SCRUB_CONFIG_INVALID', 'a bot rules file needs a top-level `rules:` list', { file });
  return list.map((raw: RawRule, i) => compileRule(raw, file, i));
}

function compileRule(raw: RawRule, file: string, i: number): BotRule {
  const field = `rules[${i}]`;
  const fail = (msg: string, f = field) => new ScrubError('SCRUB_CONFIG_INVALID', msg, { file, field: f });
  if (typeof raw?.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(raw.id)) throw fail('rule id must be a lower-case slug', `${field}.id`);
  const roles = raw.roles === undefined ? DEFAULT_ROLES : raw.roles;
  if (!Array.isArray(roles) || roles.some((r) => !ROLES.includes(r as Role))) throw fail(`roles must be a list of ${ROLES.join(', ')}`, `${field}.roles`);
  const scope = raw.scope ?? 'turn';
  if (scope !== 'turn' && scope !== 'span') throw fail('scope must be turn or span', `${field}.scope`);
  const as = raw.as ?? 'bot';
  if (as !== 'bot' && as !== 'system') throw fail('as must be bot or system', `${field}.as`);
  // a bare number or boolean in YAML (`text: 10086`, `text: 0x10`) is not text: say so rather than miss it
  for (const k of ['text', 'pattern'] as const) {
    const v = raw[k];
    if (v === null) throw fail(`${k} is empty`, `${field}.${k}`);
    if (v !== undefined && typeof v !== 'string') throw fail(`${k} must be a string (quote it in YAML)`, `${field}.${k}`);
  }
  let source: string;
  if (typeof raw.text === 'string' && raw.pattern === undefined) source = `^\\s*${escapeRegex(raw.text.trim())}\\s*$`;
  else if (typeof raw.pattern === 'string' && raw.text === undefined) source = raw.pattern;
  else throw fail('a rule needs exactly one of `text` or `pattern`');
  let regex: RegExp;
  try {
    regex = new RegExp(source, `gu${raw.ignoreCase === true ? 'i' : ''}`);
  } catch (e) {
    throw fail(`invalid pattern: ${(e as Error).message}`, `${field}.pattern`);
  }
  if (regex.test('')) throw fail('pattern matches the empty string', `${field}.pattern`);
  regex.lastIndex = 0;
  return {
    id: raw.id,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    roles: roles as Role[],
    scope,
    as,
    regex,
    file,
  };
}

/**
 * Loads rule files: the given paths (relative to `baseDir`), or every
 * `*.yaml` / `*.yml` in `<rulesDir>/bot` in name order. Duplicate ids fail.
 */
export function loadRules(opts: { files?: string[]; rulesDir: string; baseDir: string; disable?: string[] }): BotRule[] {
  let files: string[];
  if (opts.files && opts.files.length) files = opts.files.map((f) => resolve(opts.baseDir, f));
  else {
    const dir = join(opts.rulesDir, 'bot');
    if (!existsSync(dir)) throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'no bot rules folder', { file: dir, hint: 'pass `rules: [file.yaml]` or set the rules dir' });
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  }
  const disabled = new Set(opts.disable ?? []);
  const out: BotRule[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'bot rules file not found', { file }, { cause: e });
    }
    for (const rule of parseRules(text, file)) {
      if (seen.has(rule.id)) throw new ScrubError('SCRUB_CONFIG_INVALID', `bot rule id '${rule.id}' is defined twice (also in ${seen.get(rule.id)})`, { file });
      seen.set(rule.id, file);
      if (!disabled.has(rule.id)) out.push(rule);
    }
  }
  for (const id of disabled) if (!seen.has(id)) throw new ScrubError('SCRUB_CONFIG_INVALID', `disable names an unknown bot rule '${id}'`, { field: 'disable' });
  return out;
}
