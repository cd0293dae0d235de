/**
 * Pure parts of agreements (issue 10): progress and rule texts, what the endorse button says, who
 * may take a position, the countdown to `closes_at`, merging socket messages into the list, what to
 * announce when an agreement changes, and problem responses in the reader's language.
 */
import { ApiError, errorMessage } from '../api';
import type { TFunction } from '../i18n';
import {
  VOTING_SIDES,
  type Action,
  type Agreement,
  type AgreementRule,
  type Quorum,
  type SideProgress,
  type Version,
  type Voter,
  type VotingSide,
} from '../types';

/** How many characters of a hash a person reads aloud or compares at a glance. */
export const SHORT_HASH = 12;

/** The first `n` characters of a hex hash ("3f9a2c1b7e04"). */
export function shortHash(hash: string, n = SHORT_HASH): string {
  return hash.trim().toLowerCase().slice(0, n);
}

/** "v3 “Final draft”" (Danish: "v3 »Endeligt udkast«"), or "v3" for a version without a name. */
export function versionTitle(v: Pick<Version, 'number' | 'name'>, t: TFunction): string {
  const name = v.name.trim();
  return name ? t('agreement.versionTitle', { number: v.number, name }) : t('history.versionNumber', { number: v.number });
}

/**
 * What the endorse button says: exactly which text is endorsed — number, name and the start of its
 * SHA-256 ("Endorse v3 “Final draft” · 3f9a2c1b7e04"). Built from the version itself, whose hash
 * is also the one sent.
 */
export function endorseLabel(v: Pick<Version, 'number' | 'name' | 'sha256'>, t: TFunction): string {
  return t('agreement.endorseVersion', { version: versionTitle(v, t), hash: shortHash(v.sha256) });
}

/** "Employer 2 of 3": endorsements of the side's electorate. */
export function sideProgressText(side: VotingSide, p: Pick<SideProgress, 'endorse' | 'electorate'>, t: TFunction): string {
  return t('agreement.sideProgress', { side: t(`side.${side}`), count: p.endorse, total: p.electorate });
}

/** "Employer 2 of 3 · Union 1 of 3" (Danish: "Arbejdsgiver 2 af 3 · Fagforening 1 af 3"). */
export function progressText(progress: Agreement['progress'], t: TFunction): string {
  return VOTING_SIDES.map((s) => sideProgressText(s, progress[s], t)).join(' · ');
}

/** Endorsements a side of `electorate` needs under `quorum` (the server's rule: more than half for a majority). */
export function needed(quorum: Quorum, electorate: number): number {
  if (electorate <= 0) return 0;
  switch (quorum) {
    case 'one':
      return 1;
    case 'majority':
      return Math.floor(electorate / 2) + 1;
    case 'all':
      return electorate;
  }
}

/** "A majority of each side must endorse; any objection blocks." */
export function ruleText(rule: AgreementRule, t: TFunction): string {
  return `${t(`agreement.quorum.${rule.quorum}`)}; ${t(rule.objections_block ? 'agreement.objectionsBlock' : 'agreement.objectionsCount')}`;
}

/** The caller among the agreement's voters (those who could endorse when it opened), if they are. */
export function myVoter(a: Pick<Agreement, 'voters'>, userId: string | undefined): Voter | undefined {
  return userId ? a.voters.find((v) => v.user_id === userId) : undefined;
}

/**
 * Whether to offer the caller Endorse / Object / Abstain: the agreement is open, they are in its
 * electorate and their role allows it (`endorse` in my_actions). The server checks again.
 */
export function canTakePosition(a: Pick<Agreement, 'state' | 'voters'>, userId: string | undefined, actions: readonly Action[]): boolean {
  return a.state === 'open' && actions.includes('endorse') && !!myVoter(a, userId);
}

/** The longest reason an objection may give (the server's limit). */
export const REASON_MAX = 2000;

/** An i18n key saying what is wrong with an objection's reason, or null when it will do. */
export function reasonError(reason: string): string | null {
  const n = [...reason.trim()].length;
  if (n === 0) return 'agreement.reasonRequired';
  if (n > REASON_MAX) return 'agreement.reasonTooLong';
  return null;
}

// --- The countdown to closes_at ----------------------------------------------------------------

export interface Remaining {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Whole days, hours, minutes and seconds in `ms` (negative counts as none). */
export function remaining(ms: number): Remaining {
  const total = Math.max(0, Math.floor(ms / 1000));
  return {
    days: Math.floor(total / 86_400),
    hours: Math.floor((total % 86_400) / 3600),
    minutes: Math.floor((total % 3600) / 60),
    seconds: total % 60,
  };
}

/**
 * "2 days, 3 hours", "3 hours, 5 minutes", "5 minutes, 12 seconds", "12 seconds": the two largest
 * units (one only when the other is zero); an empty string once the time is up.
 */
export function durationText(ms: number, t: TFunction): string {
  const r = remaining(ms);
  const unit = (n: number, key: 'day' | 'hour' | 'minute' | 'second') =>
    n === 1 ? t(`agreement.time.${key}.one`) : t(`agreement.time.${key}.other`, { count: n });
  const pairs: [number, 'day' | 'hour' | 'minute' | 'second'][] = [
    [r.days, 'day'],
    [r.hours, 'hour'],
    [r.minutes, 'minute'],
    [r.seconds, 'second'],
  ];
  const first = pairs.findIndex(([n]) => n > 0);
  if (first < 0) return '';
  const parts = [unit(...pairs[first])];
  const next = pairs[first + 1];
  if (next && next[0] > 0) parts.push(unit(...next));
  return parts.join(', ');
}

/** "Closes in 2 days, 3 hours", or "Closing now…" once the time is up (the server expires it). */
export function countdownText(closesAt: string, now: number, t: TFunction): string {
  const left = Date.parse(closesAt) - now;
  const d = durationText(left, t);
  return d ? t('agreement.closesIn', { time: d }) : t('agreement.closingNow');
}

/** How often the countdown needs redrawing: every second in the last hour, otherwise every 30 s. */
export function countdownTick(closesAt: string, now: number): number {
  const left = Date.parse(closesAt) - now;
  return left <= 3_600_000 ? 1000 : 30_000;
}

/**
 * A `datetime-local` value ("2026-03-01T14:00", the reader's own time zone) as RFC 3339 in UTC;
 * null when it is empty or no time.
 */
export function localToRfc3339(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

// --- The list of agreements, kept live -------------------------------------------------------

const newestFirst = (a: Agreement, b: Agreement) => (a.created_at === b.created_at ? b.id.localeCompare(a.id) : b.created_at < a.created_at ? -1 : 1);

/** `list` with `a` in it (replacing the one with its id), newest first as the server lists them. */
export function upsertAgreement(list: readonly Agreement[], a: Agreement): Agreement[] {
  return [...list.filter((x) => x.id !== a.id), a].sort(newestFirst);
}

/** Agreements on one version, newest first. */
export function agreementsOfVersion(list: readonly Agreement[], versionId: string): Agreement[] {
  return list.filter((a) => a.version_id === versionId);
}

/** The open agreement on a document (the server keeps at most one), if any. */
export function openAgreementOf(list: readonly Agreement[], documentId: string): Agreement | undefined {
  return list.find((a) => a.document_id === documentId && a.state === 'open');
}

/** What a version's history item says of it: agreed (by any agreement), proposed (open), or nothing. */
export function versionStanding(list: readonly Agreement[], versionId: string): 'agreed' | 'open' | null {
  const mine = agreementsOfVersion(list, versionId);
  if (mine.some((a) => a.state === 'agreed')) return 'agreed';
  if (mine.some((a) => a.state === 'open')) return 'open';
  return null;
}

/**
 * What to say aloud when an agreement arrives: its new state ("v3 “Final draft” is agreed."), or
 * for an open one whose positions moved, the progress. Null when nothing a listener needs changed.
 */
export function announcement(prev: Agreement | undefined, next: Agreement, t: TFunction): string | null {
  const version = versionTitle({ number: next.version_number, name: next.version_name }, t);
  if (!prev) {
    return next.state === 'open' ? t('agreement.announce.proposed', { version, progress: progressText(next.progress, t) }) : null;
  }
  if (prev.state !== next.state) return t(`agreement.announce.${next.state}`, { version, progress: progressText(next.progress, t) });
  if (next.state === 'open' && positionsKey(prev) !== positionsKey(next)) {
    return t('agreement.announce.progress', { version, progress: progressText(next.progress, t) });
  }
  return null;
}

const positionsKey = (a: Agreement) => a.voters.map((v) => `${v.user_id}:${v.position ?? ''}:${v.at ?? ''}`).join('|');

// --- Problems ---------------------------------------------------------------------------------

/** The slug of a problem type ("urn:accord:problem:empty-side" → "empty-side"). */
export function problemSlug(type: string | undefined): string | null {
  if (!type) return null;
  const m = /^urn:accord:problem:([a-z0-9-]+)$/.exec(type.trim());
  return m ? m[1] : null;
}

/** Problems of the agreement routes that have their own words. */
const PROBLEM_KEYS: Record<string, string> = {
  'empty-side': 'agreement.problem.emptySide',
  'version-hash-mismatch': 'agreement.problem.hashMismatch',
  'agreement-closed': 'agreement.problem.closed',
  'not-in-electorate': 'agreement.problem.notInElectorate',
  forbidden: 'agreement.problem.forbidden',
  conflict: 'agreement.problem.conflict',
  'not-found': 'agreement.problem.notFound',
};

/** Field errors of a `validation` problem that have their own words. */
const FIELD_KEYS: Record<string, string> = {
  closes_at: 'agreement.problem.closesAt',
  reason: 'agreement.problem.reason',
  rule: 'agreement.problem.rule',
};

/**
 * A refused agreement request in the reader's language: the problem `type` mapped to a string of
 * ours, a validation problem by the field it names; otherwise the server's own detail.
 */
export function agreementError(err: unknown, t: TFunction): string {
  if (err instanceof ApiError && err.problem) {
    const slug = problemSlug(err.problem.type);
    if (slug && slug in PROBLEM_KEYS) return t(PROBLEM_KEYS[slug]);
    if (slug === 'validation') {
      const field = Object.keys(err.fieldErrors()).find((f) => f.split('.')[0] in FIELD_KEYS);
      if (field) return t(FIELD_KEYS[field.split('.')[0]]);
    }
  }
  return errorMessage(err, t);
}
