import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import da from './da.json';
import { translate } from './index';
import { problemKey } from '../api';
import { DOC_KINDS, ROLES, SIDES, THEMES } from '../types';
import { POLL_KINDS, POLL_STATUSES, QUESTION_STATUSES, RESULTS_VISIBILITY, VOTER_GROUPS } from '../live/types';
import { THREAD_FILTERS } from '../comments/threads';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(tsx?|jsx?)$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

describe('problem types', () => {
  it('every problem type the server sends has words in English and Danish', () => {
    const doc = JSON.parse(readFileSync(join(SRC, 'generated/openapi.json'), 'utf8'));
    const types: string[] = doc.components.schemas.ProblemType.enum;
    expect(types.length).toBeGreaterThan(20);
    const missing = types
      .map((ty) => problemKey(ty))
      .filter((k): k is string => k !== null)
      .filter((k) => !(k in en) || !(k in da));
    expect(missing).toEqual([]);
    expect(types.every((ty) => problemKey(ty) !== null)).toBe(true);
  });
});

describe('translations', () => {
  const enKeys = Object.keys(en).sort();
  const daKeys = Object.keys(da).sort();

  it('en and da have exactly the same keys', () => {
    expect(enKeys.filter((k) => !(k in da))).toEqual([]);
    expect(daKeys.filter((k) => !(k in en))).toEqual([]);
    expect(daKeys).toEqual(enKeys);
  });

  it('has no empty values', () => {
    for (const [lang, dict] of Object.entries({ en, da } as Record<string, Record<string, string>>)) {
      const empty = Object.entries(dict).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
      expect(empty.map(([k]) => `${lang}:${k}`)).toEqual([]);
    }
  });

  it('uses the same {placeholders} in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    const bad = enKeys.filter((k) => ph((en as Record<string, string>)[k]) !== ph((da as Record<string, string>)[k]));
    expect(bad).toEqual([]);
  });

  it('every t("…") key literal used in web/src exists in en', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(5);
    const re = /\bt\(\s*(['"`])([^'"`$]+)\1/g;
    const missing: string[] = [];
    let count = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(re)) {
        count++;
        if (!(m[2] in en)) missing.push(`${relative(SRC, f)}: ${m[2]}`);
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('has labels for every side, role, theme, document kind and connection state used by dynamic keys', () => {
    const needed = [
      ...SIDES.map((s) => `side.${s}`),
      ...ROLES.map((r) => `role.${r}`),
      ...THEMES.map((th) => `theme.${th}`),
      ...DOC_KINDS.map((k) => `docKind.${k}`),
      ...(['connected', 'reconnecting', 'offline'] as const).map((c) => `conn.${c}`),
      ...POLL_KINDS.map((k) => `pollKind.${k}`),
      ...POLL_STATUSES.map((s) => `pollStatus.${s}`),
      ...RESULTS_VISIBILITY.map((r) => `visibility.${r}`),
      ...QUESTION_STATUSES.map((s) => `qStatus.${s}`),
      ...VOTER_GROUPS.map((g) => `group.${g}`),
      ...['poll_not_open', 'unknown_option', 'too_many_choices', 'invalid_ballot', 'forbidden', 'rate_limited'].map((c) => `wsError.${c}`),
      ...['cannotOpen', 'cannotClose', 'firstPoll', 'lastPoll', 'questionsShown', 'questionsHidden'].map((k) => `present.${k}`),
      ...THREAD_FILTERS.flatMap((f) => [`comments.filter.${f}`, `comments.empty.${f}`]),
      // Read through tRef.current(…) in comments/useDocumentComments.ts, which the literal scan does not see.
      ...['added', 'loadFailed', 'announceNew', 'announceReply', 'selectFirst', 'replyDone', 'resolvedDone', 'reopenedDone', 'savedDone', 'deletedDone'].map(
        (k) => `comments.${k}`,
      ),
      // Chosen by a condition in subjects/logic.ts (the 422 on a poll's subject).
      'subject.errorAudience',
      'subject.errorUnknown',
    ];
    expect(needed.filter((k) => !(k in en))).toEqual([]);
  });

  it('has real Danish for core terms', () => {
    expect(da['signup.title']).toBe('Opret konto');
    expect(da['signin.title']).toBe('Log ind');
    expect(da['home.title']).toBe('Mine rundborde');
    expect(da['side.employer']).toBe('Arbejdsgiver');
    expect(da['side.union']).toBe('Fagforening');
    expect(da['role.observer']).toBe('Observatør');
    expect(da['invite.copied']).toBe('Kopieret');
    expect(da['theme.ageing_workforce']).toBe('Aldrende arbejdsstyrke');
    expect(da['docs.heading']).toBe('Dokumenter');
    expect(da['docs.new']).toBe('Nyt dokument');
    expect(da['docKind.programme']).toBe('Opkvalificeringsprogram');
    expect(da['docKind.recommendation']).toBe('Anbefaling');
    expect(da['docKind.notes']).toBe('Noter');
    expect(da['doc.editingNow']).toBe('Redigerer nu');
    expect(da['conn.connected']).toBe('Forbundet');
    expect(da['conn.reconnecting']).toBe('Genopretter forbindelse');
    expect(da['conn.offline']).toBe('Offline');
    expect(da['doc.bold']).toBe('Fed');
    expect(da['doc.italic']).toBe('Kursiv');
    expect(da['doc.heading']).toBe('Overskrift {level}');
    expect(da['doc.bulletList']).toBe('Punktliste');
    expect(da['doc.orderedList']).toBe('Nummereret liste');
    expect(da['doc.undo']).toBe('Fortryd');
    expect(da['doc.redo']).toBe('Gentag');
    expect(da['polls.heading']).toBe('Afstemninger');
    expect(da['polls.new']).toBe('Ny afstemning');
    expect(da['polls.open']).toBe('Åbn');
    expect(da['polls.close']).toBe('Luk');
    expect(da['vote.submit']).toBe('Stem');
    expect(da['results.heading']).toBe('Resultater');
    expect(da['polls.secret']).toBe('Hemmelig afstemning');
    expect(da['polls.audience']).toBe('Åben for salen');
    expect(da['live.joinCode']).toBe('Tilmeldingskode');
    expect(da['qa.heading']).toBe('Spørgsmål');
    expect(da['qa.ask']).toBe('Stil et spørgsmål');
    expect(da['qa.approve']).toBe('Godkend');
    expect(da['qa.hide']).toBe('Skjul');
    expect(da['qStatus.answered']).toBe('Besvaret');
    expect(da['vote.thanks']).toBe('Tak for din stemme.');
    expect(da['comments.heading']).toBe('Kommentarer');
    expect(da['comments.add']).toBe('Kommentér');
    expect(da['comments.reply']).toBe('Svar');
    expect(da['docs.openComments.other']).toBe('{count} åbne kommentarer');
  });

  it('interpolates placeholders', () => {
    expect(translate('en', 'header.signedInAs', { name: 'Ana' })).toBe('Signed in as Ana');
    expect(translate('da', 'rt.removed', { name: 'Ole' })).toBe('Ole er fjernet.');
    expect(translate('da', 'no.such.key')).toBe('no.such.key');
  });
});
