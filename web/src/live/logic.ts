/** Pure helpers for polls, tallies, Q&A and the live socket (no DOM, no React: unit-tested in node). */
import type { TFunction } from '../i18n';
import {
  SECRET_MIN_GROUP_DEFAULT,
  TEXT_BALLOT_MAX,
  VOTER_GROUPS,
  type Ballot,
  type BySide,
  type Poll,
  type Question,
  type Results,
  type Secrecy,
  type ServerMessage,
  type VoterGroup,
} from './types';

/** `count / total` as a whole percent, rounded half up like the server (15 of 28 → 54); 0 when total is 0. */
export function percentOf(count: number, total: number): number {
  if (!total || total <= 0) return 0;
  return Math.floor((200 * count + total) / (2 * total));
}

/** "54% — 15 of 28" (English) or "54 % — 15 af 28" (Danish): the percentage is computed from count and total. */
export function resultLabel(t: TFunction, count: number, total: number): string {
  return t('poll.resultLabel', { percent: percentOf(count, total), count, total });
}

/** A copy of `list` with the item at `index` moved by `delta` places (clamped; unchanged if it cannot move). */
export function moveItem<T>(list: readonly T[], index: number, delta: number): T[] {
  const out = list.slice();
  if (index < 0 || index >= list.length) return out;
  const to = Math.max(0, Math.min(list.length - 1, index + delta));
  if (to === index) return out;
  const [item] = out.splice(index, 1);
  out.splice(to, 0, item);
  return out;
}

/** The results part of a `tally` message or a REST read (the envelope dropped, a secret poll's rules in `secrecy`). */
export function resultsFromTally(msg: Record<string, unknown>): Results {
  const { v: _v, type: _type, room: _room, secrecy: rawSecrecy, live_step_of: stepOf, result_withheld_below: below, ...rest } = msg;
  const r = rest as unknown as Results;
  const out: Results = {
    ...r,
    options: Array.isArray(r.options) ? r.options : [],
    ranking: Array.isArray(r.ranking) ? r.ranking : [],
    words: Array.isArray(r.words) ? r.words : [],
    rating: r.rating ?? null,
  };
  const secrecy = secrecyFrom(rawSecrecy, stepOf, below);
  if (secrecy) out.secrecy = secrecy;
  return out;
}

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

/**
 * A secret poll's rules from a participant's `secrecy` field or the audience's `live_step_of`;
 * null for a poll that is not secret (or a field that makes no sense).
 */
export function secrecyFrom(secrecy: unknown, liveStepOf?: unknown, withheldBelow?: unknown): Secrecy | null {
  if (secrecy && typeof secrecy === 'object') {
    const s = secrecy as Record<string, unknown>;
    if (isPositiveInt(s.min_group)) {
      const sides = (s.sides && typeof s.sides === 'object' ? s.sides : {}) as Record<string, unknown>;
      const live_step = s.live_step === true;
      return {
        min_group: s.min_group,
        // A group the server does not mention is treated as withheld: saying too little is the safe mistake.
        sides: Object.fromEntries(VOTER_GROUPS.map((g) => [g, live_step || sides[g] !== false])) as BySide<boolean>,
        live_step,
        result: s.result === true,
      };
    }
  }
  const allSides = Object.fromEntries(VOTER_GROUPS.map((g) => [g, true])) as BySide<boolean>;
  if (isPositiveInt(liveStepOf)) {
    return { min_group: liveStepOf, sides: allSides, live_step: true, result: false };
  }
  if (isPositiveInt(withheldBelow)) {
    return { min_group: withheldBelow, sides: allSides, live_step: false, result: true };
  }
  return null;
}

/** The minimum group of a secret poll as the server reports it in any of `results`, else the server's default. */
export function knownMinGroup(results: Iterable<Results>): number {
  for (const r of results) if (r.secrecy) return r.secrecy.min_group;
  return SECRET_MIN_GROUP_DEFAULT;
}

/** Whether the split by side is worth a table: never while an open secret poll moves in steps (it has none). */
export function showsSplit(r: Results): boolean {
  return !!r.by_side && !r.secrecy?.live_step;
}

/** One cell of the split by side. */
export type SplitFigure =
  | { kind: 'value'; count: number; total: number }
  /** The group cast no ballot. */
  | { kind: 'empty' }
  /** A secret poll withholds it: the group has fewer than `k` ballots… */
  | { kind: 'fewer'; k: number }
  /** …or it is large enough but would let a smaller group be worked out from the other figures. */
  | { kind: 'withheld'; k: number };

/** What the split shows for `group` of one option (`value`: the option's `by_side`). */
export function splitFigure(r: Results, value: BySide<number | null> | undefined, group: VoterGroup): SplitFigure {
  const ballots = r.by_side?.[group] ?? 0;
  const v = value?.[group];
  const k = r.secrecy?.min_group ?? SECRET_MIN_GROUP_DEFAULT;
  const withheld = (r.secrecy?.sides[group] ?? false) || v === null;
  if (ballots <= 0) return { kind: 'empty' };
  if (withheld) return ballots < k ? { kind: 'fewer', k } : { kind: 'withheld', k };
  return { kind: 'value', count: v ?? 0, total: ballots };
}

/** The text of a split cell: "100% — 1 of 1", "fewer than 5", "not shown" or "—". */
export function splitText(t: TFunction, f: SplitFigure): string {
  switch (f.kind) {
    case 'value':
      return resultLabel(t, f.count, f.total);
    case 'empty':
      return '—';
    case 'fewer':
      return t('results.fewerThan', { k: f.k });
    case 'withheld':
      return t('results.withheld');
  }
}

/** A group's mean in a rating poll: "Average 3.5", "fewer than 5", "not shown" or "—". */
export function meanText(t: TFunction, r: Results, group: VoterGroup): string {
  const m = r.rating?.mean_by_side?.[group];
  const ballots = r.by_side?.[group] ?? 0;
  const k = r.secrecy?.min_group ?? SECRET_MIN_GROUP_DEFAULT;
  if (ballots > 0 && (r.secrecy?.sides[group] || (r.secrecy && (m === null || m === undefined)))) {
    return ballots < k ? t('results.fewerThan', { k }) : t('results.withheld');
  }
  return m === null || m === undefined ? '—' : t('results.mean', { mean: m.toFixed(1) });
}

/**
 * Merges a pushed tally into the known results. Tallies are full snapshots, so the newest wins;
 * a push with fewer ballots than what we already show for the same poll is treated as stale
 * (an older, coalesced push overtaken by a REST read) and ignored. A vote can change, never
 * disappear, while a poll is open, so totals never shrink.
 */
export function mergeTally(known: Record<string, Results>, incoming: Results): Record<string, Results> {
  const prev = known[incoming.poll_id];
  if (prev && incoming.total < prev.total) return known;
  return { ...known, [incoming.poll_id]: incoming };
}

/** Inserts or replaces by `id`, keeping the order of what was there and appending new ones. */
export function upsertById<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [...list, item];
  const out = list.slice();
  out[i] = item;
  return out;
}

/** A poll update from the server; keeps our own `voted` flag if the push does not know it (broadcasts). */
export function mergePoll(list: readonly Poll[], poll: Poll): Poll[] {
  const prev = list.find((p) => p.id === poll.id);
  const voted = poll.voted || (prev?.voted ?? false);
  return upsertById(list, { ...poll, voted });
}

/** A question update; a broadcast says nothing about *my* upvote, so keep what we knew. */
export function mergeQuestion(list: readonly Question[], q: Question): Question[] {
  const prev = list.find((x) => x.id === q.id);
  return upsertById(list, { ...q, voted_by_me: q.voted_by_me || (prev?.voted_by_me ?? false) });
}

/** Most votes first, then oldest first. */
export function sortQuestions(list: readonly Question[]): Question[] {
  return list
    .slice()
    .sort((a, b) => b.votes - a.votes || String(a.created_at).localeCompare(String(b.created_at)) || a.id.localeCompare(b.id));
}

/** Approved (and answered) questions as the audience and the presenter see them, most votes first. */
export function publicQuestions(list: readonly Question[]): Question[] {
  return sortQuestions(list.filter((q) => q.status === 'approved'));
}

/**
 * Reconnect delay for attempt `attempt` (0-based): exponential from `base` up to `max`, with
 * "equal jitter" (half fixed, half random) so a venue full of phones does not reconnect in step.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, base = 500, max = 30_000): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 20)));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Whether a throttled live region may speak again (at most once every `minGapMs`). */
export function mayAnnounce(lastAt: number | null, now: number, minGapMs = 10_000): boolean {
  return lastAt === null || now - lastAt >= minGapMs;
}

/** The room name of a roundtable. */
export function roomOf(roundtableId: string): string {
  return `roundtable:${roundtableId}`;
}

/** ws(s)://host/api/v1/ws for this page. */
export function wsUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v1/ws`;
}

/** Parses one text frame; null for anything that is not a known server message. */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return null;
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'subscribed':
      return {
        type: 'subscribed',
        room: String(m.room ?? ''),
        polls: Array.isArray(m.polls) ? (m.polls as Poll[]) : [],
        questions: Array.isArray(m.questions) ? (m.questions as Question[]) : [],
        presence: m.presence && typeof m.presence === 'object' ? (m.presence as ServerMessage & { type: 'presence' }) : undefined,
        // Not in PROTOCOL.md v1, but sent by the server: the current results of the polls visible to us.
        tallies: Array.isArray(m.tallies)
          ? (m.tallies as Record<string, unknown>[]).filter((x) => x && typeof x.poll_id === 'string').map(resultsFromTally)
          : [],
      };
    case 'tally':
      if (typeof m.poll_id !== 'string') return null;
      return { type: 'tally', room: String(m.room ?? ''), ...resultsFromTally(m) };
    case 'poll':
      return m.poll && typeof m.poll === 'object' ? (m as unknown as ServerMessage) : null;
    case 'poll_removed':
      return typeof m.poll_id === 'string' ? (m as unknown as ServerMessage) : null;
    case 'poll_order':
      return Array.isArray(m.poll_ids) && m.poll_ids.every((id) => typeof id === 'string') ? (m as unknown as ServerMessage) : null;
    case 'question':
      return m.question && typeof m.question === 'object' ? (m as unknown as ServerMessage) : null;
    case 'role_changed':
      return Array.isArray(m.actions) ? (m as unknown as ServerMessage) : null;
    case 'comment':
      return typeof m.document_id === 'string' && m.comment && typeof m.comment === 'object' && typeof (m.comment as { id?: unknown }).id === 'string'
        ? (m as unknown as ServerMessage)
        : null;
    case 'comment_removed':
      return typeof m.document_id === 'string' && typeof m.comment_id === 'string' ? (m as unknown as ServerMessage) : null;
    case 'agreement': {
      const a = m.agreement as Record<string, unknown> | null | undefined;
      return a && typeof a === 'object' && typeof a.id === 'string' && typeof a.version_id === 'string' && typeof a.state === 'string'
        ? (m as unknown as ServerMessage)
        : null;
    }
    case 'presence':
    case 'vote_ack':
    case 'error':
    case 'pong':
      return m as unknown as ServerMessage;
    default:
      return null;
  }
}

/** The join code in `/live/<CODE>` (upper-cased, spaces and dashes dropped), or ''. */
export function codeFromPath(pathname: string): string {
  const m = /^\/live\/([^/?#]+)\/?$/.exec(pathname);
  if (!m) return '';
  let raw = m[1];
  try {
    raw = decodeURIComponent(raw);
  } catch {
    return '';
  }
  return normaliseCode(raw);
}

/** A join code as shown on screens, in groups of three ("ABC-DEF-GHJ"): nine letters in a row are hard to read off a slide. */
export function formatCode(code: string): string {
  return (code.replace(/[\s-]+/g, '').toUpperCase().match(/.{1,3}/g) ?? []).join('-');
}

/** Join codes are typed on phones: ignore case and spaces (the server decides what else is equivalent). */
export function normaliseCode(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}

export type BallotDraft = {
  choices: string[];
  rating: number | null;
  ranking: string[];
  text: string;
};

/** The ballot for `poll` from a form draft, or an i18n error key. */
export function ballotFor(poll: Poll, draft: BallotDraft): { ballot: Ballot } | { error: string } {
  switch (poll.kind) {
    case 'single':
      return draft.choices.length === 1 ? { ballot: { choices: draft.choices } } : { error: 'vote.chooseOne' };
    case 'multiple': {
      if (draft.choices.length === 0) return { error: 'vote.chooseAtLeastOne' };
      if (poll.max_choices && draft.choices.length > poll.max_choices) return { error: 'vote.tooMany' };
      return { ballot: { choices: draft.choices } };
    }
    case 'rating':
      return draft.rating === null ? { error: 'vote.chooseRating' } : { ballot: { rating: draft.rating } };
    case 'ranking':
      return { ballot: { ranking: draft.ranking.length ? draft.ranking : poll.options.map((o) => o.id) } };
    case 'text': {
      const text = draft.text.trim();
      if (!text) return { error: 'vote.textRequired' };
      if ([...text].length > TEXT_BALLOT_MAX) return { error: 'vote.textTooLong' };
      return { ballot: { text } };
    }
  }
}

/** The values of a rating scale (default 1–5), lowest first; at most 11 values. */
export function scaleValues(poll: Pick<Poll, 'scale_min' | 'scale_max'>): number[] {
  const lo = poll.scale_min ?? 1;
  const hi = Math.max(lo, Math.min(poll.scale_max ?? 5, lo + 10));
  const out: number[] = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
}

/** Index of the poll the presenter should show first: the newest open one, else the newest. */
export function initialPollIndex(polls: readonly Poll[]): number {
  for (let i = polls.length - 1; i >= 0; i--) if (polls[i].status === 'open') return i;
  return polls.length - 1;
}
