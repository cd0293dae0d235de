/**
 * A diff between two versions of a document, inline: blocks in order, inserted text in <ins>
 * coloured and underlined by the side that wrote it, deleted text in <del> struck through, moved
 * and changed blocks marked. Nothing is told by colour alone: each block's change is written out,
 * each insertion names its author (title for the mouse, hidden text for screen readers, which
 * mostly do not announce <ins> and <del>), and each side has its own underline style.
 */
import { useI18n, type TFunction } from '../i18n';
import type { Author, BlockOp, DiffBlock, DiffSegment, DocDiff, Side } from '../types';
import { summariseDiff, summaryText } from './history';

/** Who wrote a run: "Ana (Union)", or "unattributed". */
function who(by: Author | null, t: TFunction): string {
  return by ? `${by.display_name} (${t(`side.${by.side}`)})` : t('diff.unattributed');
}

function opLabel(op: BlockOp, t: TFunction): string | null {
  switch (op) {
    case 'inserted':
      return t('diff.opInserted');
    case 'deleted':
      return t('diff.opDeleted');
    case 'changed':
      return t('diff.opChanged');
    case 'moved':
      return t('diff.opMoved');
    default:
      return null;
  }
}

function Ins({ seg, t }: { seg: Pick<DiffSegment, 'text' | 'by'>; t: TFunction }) {
  const w = who(seg.by ?? null, t);
  return (
    <ins className={`diff-ins diff-ins--${seg.by?.side ?? 'unknown'}`} title={t('diff.addedBy', { who: w })}>
      <span className="visually-hidden">{t('diff.insStart', { who: w })} </span>
      {seg.text}
      <span className="visually-hidden"> {t('diff.insEnd')}</span>
    </ins>
  );
}

function Del({ text, t }: { text: string; t: TFunction }) {
  return (
    <del className="diff-del">
      <span className="visually-hidden">{t('diff.delStart')} </span>
      {text}
      <span className="visually-hidden"> {t('diff.delEnd')}</span>
    </del>
  );
}

function BlockView({ block, t }: { block: DiffBlock; t: TFunction }) {
  const mark = opLabel(block.op, t);
  const kind =
    block.kind === 'heading'
      ? t('doc.heading', { level: block.level ?? 1 })
      : block.kind === 'list_item'
        ? t('diff.listItem')
        : null;
  let content;
  if (block.op === 'deleted') {
    content = <Del text={block.text} t={t} />;
  } else if (block.op === 'inserted' && block.segments.length === 0) {
    content = <Ins seg={block} t={t} />;
  } else if (block.op === 'inserted' || block.op === 'changed') {
    content = block.segments.map((s, i) =>
      s.op === 'inserted' ? <Ins key={i} seg={s} t={t} /> : s.op === 'deleted' ? <Del key={i} text={s.text} t={t} /> : <span key={i}>{s.text}</span>,
    );
  } else {
    content = block.text;
  }
  const level = block.kind === 'heading' ? Math.min(Math.max(block.level ?? 1, 1), 3) : undefined;
  return (
    <li
      className={`diff-block diff-block--${block.op} diff-kind--${block.kind}${level ? ` diff-h${level}` : ''}`}
      data-op={block.op}
      style={block.kind === 'list_item' && block.level ? { paddingInlineStart: `${1 + Math.min(block.level, 6) * 1.25}rem` } : undefined}
    >
      {mark && <span className="diff-mark">{mark}</span>}
      {kind && <span className="visually-hidden">{kind}: </span>}
      {block.kind === 'list_item' && (
        <span className="diff-bullet" aria-hidden="true">
          •{' '}
        </span>
      )}
      <span className="diff-text">{content}</span>
    </li>
  );
}

/** The key to the colours and lines: one entry per side that wrote something here, then deletions. */
function Legend({ sides, unattributed, deleted, t }: { sides: Side[]; unattributed: boolean; deleted: boolean; t: TFunction }) {
  if (sides.length === 0 && !unattributed && !deleted) return null;
  return (
    <ul className="diff-legend" aria-label={t('diff.legend')}>
      {sides.map((s) => (
        <li key={s}>
          <ins className={`diff-ins diff-ins--${s}`}>{t('diff.addedBy', { who: t(`side.${s}`) })}</ins>
        </li>
      ))}
      {unattributed && (
        <li>
          <ins className="diff-ins diff-ins--unknown">{t('diff.legendUnattributed')}</ins>
        </li>
      )}
      {deleted && (
        <li>
          <del className="diff-del">{t('diff.deletedSample')}</del>
        </li>
      )}
    </ul>
  );
}

/** Renders `diff`: the summary line, the key, then every block in order. */
export function DiffView({ diff }: { diff: DocDiff }) {
  const { t, lang } = useI18n();
  const num = new Intl.NumberFormat(lang === 'da' ? 'da-DK' : 'en-GB');
  const summary = summariseDiff(diff);
  const deleted = summary.deletedBlocks > 0 || summary.deletedWordsElsewhere > 0;
  return (
    <div className="diff">
      <p className="diff-summary" data-testid="diff-summary">
        {summaryText(summary, t, (n) => num.format(n))}
      </p>
      <Legend sides={summary.bySide.map((s) => s.side)} unattributed={summary.unattributed.words > 0} deleted={deleted} t={t} />
      <ol className="diff-blocks" data-testid="diff" aria-label={t('diff.blocks')}>
        {diff.blocks.map((b, i) => (
          <BlockView key={i} block={b} t={t} />
        ))}
      </ol>
    </div>
  );
}
