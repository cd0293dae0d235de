import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import type { Author, DiffBlock, Side, Version } from '../types';
import { countWords, defaultFrom, groupVersions, summariseDiff, summaryText, versionLabel } from './history';

const en = (k: string, v?: Record<string, string | number>) => translate('en', k, v);
const da = (k: string, v?: Record<string, string | number>) => translate('da', k, v);

function version(number: number, auto = false, name = `v${number} name`): Version {
  return {
    id: `id${number}`,
    document_id: 'd1',
    number,
    name,
    note: null,
    auto,
    created_by: auto ? null : { user_id: 'u1', display_name: 'Ana', side: 'union' },
    created_at: '2025-01-01T10:00:00Z',
    sha256: '0'.repeat(64),
    words: 10,
    restored_from: null,
  };
}

const by = (side: Side, name: string = side): Author => ({ user_id: `u-${name}`, display_name: name, side });
const ins = (text: string, who: Author | null) => ({ op: 'inserted' as const, text, by: who });
const eq = (text: string) => ({ op: 'equal' as const, text, by: null });
const del = (text: string) => ({ op: 'deleted' as const, text, by: null });
const block = (op: DiffBlock['op'], segments: DiffBlock['segments'] = [], text = 'x', b: Author | null = null): DiffBlock => ({
  op,
  kind: 'paragraph',
  text,
  segments,
  by: b,
});
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ') + ' ';

describe('groupVersions', () => {
  it('puts named versions apart from automatic ones, each newest first', () => {
    const list = [version(2, true), version(5), version(1), version(4, true), version(3)];
    const { named, auto } = groupVersions(list);
    expect(named.map((v) => v.number)).toEqual([5, 3, 1]);
    expect(auto.map((v) => v.number)).toEqual([4, 2]);
  });

  it('compares the newest named version by default, else the newest', () => {
    expect(defaultFrom([version(3, true), version(2), version(1)])).toBe('id2');
    expect(defaultFrom([version(2, true), version(1, true)])).toBe('id2');
    expect(defaultFrom([])).toBe('');
  });

  it('labels versions', () => {
    expect(versionLabel(version(3, false, 'Draft'), en)).toBe('v3 · Draft');
    expect(versionLabel(version(4, true, ''), en)).toBe('v4 (automatic)');
    expect(versionLabel(version(4, true, ''), da)).toBe('v4 (automatisk)');
  });
});

describe('countWords', () => {
  it('counts runs of non-space', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  ')).toBe(0);
    expect(countWords(' one  two\nthree ')).toBe(3);
    expect(countWords('ældre medarbejdere')).toBe(2);
  });
});

describe('summariseDiff', () => {
  const union = by('union', 'Ulla');
  const employer = by('employer', 'Erik');

  it('sums words and paragraphs per side from the segments, and deletions', () => {
    const diff = {
      blocks: [
        block('equal'),
        block('changed', [eq('The plan '), ins(words(20), union), del('old words here'), ins(words(5), employer)]),
        block('inserted', [ins(words(12), union)]),
        block('changed', [eq('Age '), ins(words(10), union)]),
        block('deleted', [del('gone paragraph')], 'gone paragraph'),
      ],
    };
    const s = summariseDiff(diff);
    expect(s.bySide).toEqual([
      { side: 'union', words: 42, blocks: 3 },
      { side: 'employer', words: 5, blocks: 1 },
    ]);
    expect(s.unattributed).toEqual({ words: 0, blocks: 0 });
    expect(s.deletedBlocks).toBe(1);
    expect(s.deletedWordsElsewhere).toBe(3);
    expect(summaryText(s, en)).toBe('Union added 42 words in 3 paragraphs; Employer added 5 words; 1 paragraph deleted; 3 words deleted elsewhere');
    expect(summaryText(s, da)).toBe('Fagforening tilføjede 42 ord i 3 afsnit; Arbejdsgiver tilføjede 5 ord; 1 afsnit slettet; 3 ord slettet andre steder');
  });

  it('matches the example line of the issue', () => {
    const diff = {
      blocks: [
        block('changed', [eq('a '), ins(words(14), union)]),
        block('changed', [eq('b '), ins(words(14), union)]),
        block('inserted', [ins(words(14), union)]),
        block('changed', [eq('c '), ins(words(5), employer)]),
        block('deleted', [], 'old'),
      ],
    };
    expect(summaryText(summariseDiff(diff), en)).toBe('Union added 42 words in 3 paragraphs; Employer added 5 words; 1 paragraph deleted');
  });

  it('calls text without a known author unattributed, never a side', () => {
    const s = summariseDiff({ blocks: [block('inserted', [ins('restored text', null)]), block('changed', [eq('x '), ins('one', union)])] });
    expect(s.bySide).toEqual([{ side: 'union', words: 1, blocks: 1 }]);
    expect(s.unattributed).toEqual({ words: 2, blocks: 1 });
    expect(summaryText(s, en)).toBe('Union added 1 word; 2 words added, unattributed');
  });

  it('reads an inserted block without segments from the block itself', () => {
    const s = summariseDiff({ blocks: [block('inserted', [], 'three new words', employer)] });
    expect(s.bySide).toEqual([{ side: 'employer', words: 3, blocks: 1 }]);
  });

  it('orders sides by words, ties in the order of sides', () => {
    const s = summariseDiff({ blocks: [block('changed', [ins('a b', union), ins('c d', employer), ins('e f g', by('neutral'))])] });
    expect(s.bySide.map((x) => x.side)).toEqual(['neutral', 'employer', 'union']);
  });

  it('says deleted words without "elsewhere" when no paragraph went, and moves', () => {
    const s = summariseDiff({ blocks: [block('changed', [eq('keep '), del('two words')]), block('moved'), block('moved')] });
    expect(summaryText(s, en)).toBe('2 words deleted; 2 paragraphs moved');
  });

  it('says when nothing changed, and when only formatting did', () => {
    expect(summaryText(summariseDiff({ blocks: [block('equal'), block('equal')] }), en)).toBe('No changes.');
    expect(summaryText(summariseDiff({ blocks: [] }), da)).toBe('Ingen ændringer.');
    expect(summaryText(summariseDiff({ blocks: [block('changed', [eq('same text')])] }), en)).toBe('Only formatting or layout changed.');
  });

  it('formats numbers as asked', () => {
    const s = summariseDiff({ blocks: [block('inserted', [ins(words(1234), union)])] });
    expect(summaryText(s, en, (n) => new Intl.NumberFormat('en-GB').format(n))).toBe('Union added 1,234 words');
  });
});

describe('Danish for the history', () => {
  it('uses the real terms', () => {
    expect(da('history.heading')).toBe('Historik');
    expect(da('history.save')).toBe('Gem version');
    expect(da('history.compare')).toBe('Sammenlign');
    expect(da('history.restore')).toBe('Gendan');
    expect(da('history.nowLower')).toBe('nu');
  });
});
