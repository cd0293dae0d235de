/**
 * Polls as an agenda: one order, set by the facilitator and used everywhere (the roundtable page,
 * the presenter, the audience). The server's list and its `poll_order` messages carry the order;
 * these pure helpers apply it and compute moves.
 */
import type { Poll } from '../live/types';

/** `list` in the order of `ids`; polls the order does not name (created since) keep theirs, last. */
export function applyOrder<T extends { id: string }>(list: readonly T[], ids: readonly string[]): T[] {
  const rank = new Map(ids.map((id, i) => [id, i]));
  const named = list.filter((p) => rank.has(p.id)).sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
  return [...named, ...list.filter((p) => !rank.has(p.id))];
}

/** `list` without the poll `id`. */
export function removeById<T extends { id: string }>(list: readonly T[], id: string): T[] {
  return list.filter((p) => p.id !== id);
}

/** The ids with `id` moved to index `to` (clamped); null when nothing moves. */
export function moveTo(ids: readonly string[], id: string, to: number): string[] | null {
  const from = ids.indexOf(id);
  if (from < 0) return null;
  const target = Math.max(0, Math.min(ids.length - 1, to));
  if (target === from) return null;
  const out = ids.slice();
  out.splice(from, 1);
  out.splice(target, 0, id);
  return out;
}

/** The ids with `id` moved one place up (-1) or down (+1); null at either end. */
export function moveBy(ids: readonly string[], id: string, delta: -1 | 1): string[] | null {
  const from = ids.indexOf(id);
  return from < 0 ? null : moveTo(ids, id, from + delta);
}

/** Where a dragged poll lands when dropped on `over`: its place, whichever way it travelled. */
export function dropIndex(ids: readonly string[], dragged: string, over: string): number {
  return ids.indexOf(over) >= 0 ? ids.indexOf(over) : ids.indexOf(dragged);
}

/** What a new poll form starts as: nothing ticked, so a poll never inherits the last one's settings. */
export const FORM_DEFAULTS = {
  kind: 'single',
  maxChoices: '2',
  scaleMin: '1',
  scaleMax: '5',
  secret: false,
  audience: false,
  results: 'live',
} as const;

/** The edit form's starting values for a draft. */
export function formValuesOf(p: Poll) {
  return {
    question: p.question,
    kind: p.kind,
    options: p.options.map((o) => o.label),
    maxChoices: String(p.max_choices ?? FORM_DEFAULTS.maxChoices),
    scaleMin: String(p.scale_min ?? FORM_DEFAULTS.scaleMin),
    scaleMax: String(p.scale_max ?? FORM_DEFAULTS.scaleMax),
    secret: p.secret,
    audience: p.audience,
    results: p.results,
  };
}
