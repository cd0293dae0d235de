/** Pure parts of a document's history (HistoryPanel.tsx, DiffView.tsx): grouping versions, summing up a diff by side. */
import type { TFunction } from '../i18n';
import { SIDES, type DocDiff, type Side, type Version } from '../types';

/** Named versions apart from automatic ones, each newest first. */
export function groupVersions(list: readonly Version[]): { named: Version[]; auto: Version[] } {
  const sorted = [...list].sort((a, b) => b.number - a.number);
  return { named: sorted.filter((v) => !v.auto), auto: sorted.filter((v) => v.auto) };
}

/** What to compare by default: the newest named version (else the newest) against the text now. */
export function defaultFrom(list: readonly Version[]): string {
  const { named, auto } = groupVersions(list);
  return named[0]?.id ?? auto[0]?.id ?? '';
}

/** Words as the reader counts them: runs of anything but white space. */
export function countWords(text: string): number {
  const m = text.match(/\S+/gu);
  return m ? m.length : 0;
}

export interface Added {
  words: number;
  /** Blocks (paragraphs, headings, list items) the text went into. */
  blocks: number;
}

export interface DiffSummary {
  /** Sides that added text, most words first. */
  bySide: (Added & { side: Side })[];
  /** Inserted text with no single known author (`by: null`). */
  unattributed: Added;
  deletedBlocks: number;
  /** Words deleted inside blocks that are still there (changed ones). */
  deletedWordsElsewhere: number;
  movedBlocks: number;
  unchanged: boolean;
}

/** Sums a diff up by the side that wrote each inserted run (segments' `by.side`). */
export function summariseDiff(diff: Pick<DocDiff, 'blocks'>): DiffSummary {
  const words = new Map<Side | null, number>();
  const blocks = new Map<Side | null, number>();
  let deletedBlocks = 0;
  let deletedWordsElsewhere = 0;
  let movedBlocks = 0;
  let unchanged = true;

  for (const block of diff.blocks) {
    if (block.op !== 'equal') unchanged = false;
    if (block.op === 'deleted') {
      deletedBlocks++;
      continue;
    }
    if (block.op === 'moved') movedBlocks++;
    // An inserted block carries its runs as segments; without any, the block itself is the run.
    const runs =
      block.op === 'inserted' && block.segments.length === 0
        ? [{ op: 'inserted' as const, text: block.text, by: block.by }]
        : block.segments;
    const here = new Set<Side | null>();
    for (const seg of runs) {
      const n = countWords(seg.text);
      if (n === 0) continue;
      if (seg.op === 'inserted') {
        const who = seg.by?.side ?? null;
        words.set(who, (words.get(who) ?? 0) + n);
        here.add(who);
      } else if (seg.op === 'deleted') {
        deletedWordsElsewhere += n;
      }
    }
    for (const who of here) blocks.set(who, (blocks.get(who) ?? 0) + 1);
  }

  const bySide = SIDES.filter((s) => (words.get(s) ?? 0) > 0)
    .map((side) => ({ side, words: words.get(side) ?? 0, blocks: blocks.get(side) ?? 0 }))
    // Stable: equal counts keep the order of SIDES.
    .sort((a, b) => b.words - a.words);
  return {
    bySide,
    unattributed: { words: words.get(null) ?? 0, blocks: blocks.get(null) ?? 0 },
    deletedBlocks,
    deletedWordsElsewhere,
    movedBlocks,
    unchanged,
  };
}

/**
 * The summary line, e.g. "Union added 42 words in 3 paragraphs; Employer added 5 words; 1 paragraph
 * deleted". "Paragraphs" counts every block: headings and list items too.
 */
export function summaryText(s: DiffSummary, t: TFunction, num: (n: number) => string = String): string {
  const words = (n: number) => (n === 1 ? t('history.word', { count: num(n) }) : t('history.words', { count: num(n) }));
  const paras = (n: number) => (n === 1 ? t('history.paragraph', { count: num(n) }) : t('history.paragraphs', { count: num(n) }));
  const parts: string[] = [];
  for (const a of s.bySide) {
    const who = t(`side.${a.side}`);
    parts.push(
      a.blocks > 1
        ? t('history.sumAddedIn', { who, words: words(a.words), paragraphs: paras(a.blocks) })
        : t('history.sumAdded', { who, words: words(a.words) }),
    );
  }
  if (s.unattributed.words > 0) parts.push(t('history.sumUnattributed', { words: words(s.unattributed.words) }));
  if (s.deletedBlocks > 0) parts.push(t('history.sumDeletedBlocks', { paragraphs: paras(s.deletedBlocks) }));
  if (s.deletedWordsElsewhere > 0) {
    parts.push(
      s.deletedBlocks > 0
        ? t('history.sumDeletedElsewhere', { words: words(s.deletedWordsElsewhere) })
        : t('history.sumDeleted', { words: words(s.deletedWordsElsewhere) }),
    );
  }
  if (s.movedBlocks > 0) parts.push(t('history.sumMoved', { paragraphs: paras(s.movedBlocks) }));
  if (parts.length === 0) return s.unchanged ? t('history.noChanges') : t('history.onlyFormatting');
  return parts.join('; ');
}

/** "v3 · Draft for Monday", or "v3 (automatic)" for an automatic version without a name. */
export function versionLabel(v: Pick<Version, 'number' | 'name' | 'auto'>, t: TFunction): string {
  const name = v.name.trim();
  if (name) return t('history.versionNamed', { number: v.number, name });
  return v.auto ? t('history.versionAuto', { number: v.number }) : t('history.versionNumber', { number: v.number });
}
