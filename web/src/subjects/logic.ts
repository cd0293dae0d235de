/**
 * Pure parts of polls tied to what they decide (a poll's `subject`): telling versions from
 * passages, the polls that name a version or a thread, the "Decides: …" label, where each thing
 * lives in the app, a closed poll's result in one line, the defaults of an indicative vote, and
 * the server's 422 on `subject` in the reader's language. No DOM, no React: unit-tested in node.
 */
import { ApiError } from '../api';
import type { TFunction } from '../i18n';
import { resultLabel } from '../live/logic';
import type { Poll, Results } from '../live/types';
import type { PollSubject, Version } from '../types';
import { shortHash, versionTitle } from '../agreements/logic';

export type VersionSubject = Extract<PollSubject, { version_id: string }>;
export type PassageSubject = Extract<PollSubject, { comment_id: string }>;

export function isVersionSubject(s: PollSubject | null | undefined): s is VersionSubject {
  return !!s && typeof (s as VersionSubject).version_id === 'string';
}

export function isPassageSubject(s: PollSubject | null | undefined): s is PassageSubject {
  return !!s && typeof (s as PassageSubject).comment_id === 'string' && typeof (s as PassageSubject).document_id === 'string';
}

/** One string per subject ("v:<id>", "c:<document>:<comment>"): a cache key, a select's value. */
export function subjectKey(s: PollSubject): string {
  return isVersionSubject(s) ? `v:${s.version_id}` : `c:${s.document_id}:${s.comment_id}`;
}

/** The subject a `subjectKey` names; null for "" (nothing in particular) or anything else. */
export function subjectFromKey(key: string): PollSubject | null {
  const v = /^v:([^:]+)$/.exec(key);
  if (v) return { version_id: v[1] };
  const c = /^c:([^:]+):([^:]+)$/.exec(key);
  if (c) return { document_id: c[1], comment_id: c[2] };
  return null;
}

/** Newest first (by `created_at`, then id, so the order never flickers). */
function newestFirst(a: Pick<Poll, 'created_at' | 'id'>, b: Pick<Poll, 'created_at' | 'id'>): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The polls that name version `versionId`, newest first. */
export function pollsOfVersion<P extends Pick<Poll, 'subject' | 'created_at' | 'id'>>(polls: readonly P[], versionId: string): P[] {
  return polls.filter((p) => isVersionSubject(p.subject) && p.subject.version_id === versionId).sort(newestFirst);
}

/** The polls that name the passage of comment thread `commentId`, newest first. */
export function pollsOfPassage<P extends Pick<Poll, 'subject' | 'created_at' | 'id'>>(polls: readonly P[], commentId: string): P[] {
  return polls.filter((p) => isPassageSubject(p.subject) && p.subject.comment_id === commentId).sort(newestFirst);
}

/** What a version subject is called: its document and the version ("Programme v1 “Final draft”"). */
export function versionSubjectTitle(documentTitle: string, v: Pick<Version, 'number' | 'name'>, t: TFunction): string {
  return t('subject.versionTitle', { document: documentTitle.trim(), version: versionTitle(v, t) });
}

/** "Decides: Programme v1 “Final draft” · 3f9a2c1b7e04": exactly which text the poll is about. */
export function versionSubjectLabel(documentTitle: string, v: Pick<Version, 'number' | 'name' | 'sha256'>, t: TFunction): string {
  return t('subject.decidesVersion', { title: versionSubjectTitle(documentTitle, v, t), hash: shortHash(v.sha256) });
}

/** A translated template cut at its `{placeholders}`, so that a part can be drawn as a link. */
export type TemplatePart = { text: string } | { name: string };

export function templateParts(template: string): TemplatePart[] {
  const out: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    if (m.index! > last) out.push({ text: template.slice(last, m.index) });
    out.push({ name: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < template.length) out.push({ text: template.slice(last) });
  return out;
}

const enc = encodeURIComponent;

/** The document page with that version open in its version view. */
export function versionHref(documentId: string, versionId: string): string {
  return `/documents/${enc(documentId)}?${new URLSearchParams({ version: versionId })}`;
}

/** The document page with that comment thread shown in the margin. */
export function passageHref(documentId: string, commentId: string): string {
  return `/documents/${enc(documentId)}?${new URLSearchParams({ comment: commentId })}`;
}

/** Where a subject lives in the app (for a version, the document is the version's own). */
export function subjectHref(s: PollSubject, versionDocumentId?: string): string | null {
  if (isPassageSubject(s)) return passageHref(s.document_id, s.comment_id);
  return versionDocumentId ? versionHref(versionDocumentId, s.version_id) : null;
}

/** A poll's card on the roundtable page (where participants vote). */
export function pollHref(roundtableId: string, pollId: string): string {
  return `/roundtables/${enc(roundtableId)}#${pollAnchor(pollId)}`;
}

/** The `id` of a poll's card on the roundtable page. */
export function pollAnchor(pollId: string): string {
  return `poll-${pollId}`;
}

/** The poll a hash ("#poll-<id>") names, if it does. */
export function pollIdFromHash(hash: string): string | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw.startsWith('poll-')) return null;
  try {
    return decodeURIComponent(raw.slice(5)) || null;
  } catch {
    return null;
  }
}

/** A one-line account of a poll's result: "Yes 67% — 2 of 3 · No 33% — 1 of 3" (most votes first). */
export function resultSummary(poll: Pick<Poll, 'kind'>, r: Results, t: TFunction): string {
  if (r.secrecy?.result) return t('subject.summaryWithheld', { total: r.total, k: r.secrecy.min_group });
  if (r.total === 0) return t('results.noVotes');
  switch (poll.kind) {
    case 'single':
    case 'multiple': {
      const sorted = [...r.options].sort((a, b) => b.count - a.count);
      return sorted.map((o) => t('subject.summaryOption', { label: o.label, result: resultLabel(t, o.count, r.total) })).join(' · ');
    }
    case 'rating': {
      const mean = r.rating?.mean;
      return mean == null ? t('results.noVotes') : t('subject.summaryRating', { mean: mean.toFixed(1), total: r.total });
    }
    case 'ranking': {
      const first = [...r.ranking].sort((a, b) => b.points - a.points)[0];
      return first ? t('subject.summaryRanking', { label: first.label, points: first.points, total: r.total }) : t('results.noVotes');
    }
    case 'text':
      return t('subject.summaryText', { total: r.total });
  }
}

/** What an indicative vote on a version or a passage starts from: a question and Yes / No / Abstain. */
export function indicativeDefaults(kind: 'version' | 'passage', what: string, t: TFunction): { question: string; options: string[] } {
  return {
    question: kind === 'version' ? t('subject.defaultQuestionVersion', { version: what }) : t('subject.defaultQuestionPassage'),
    options: [t('subject.optionYes'), t('subject.optionNo'), t('subject.optionAbstain')],
  };
}

/**
 * The server's 422 on `subject` in the reader's language: an audience poll may not name a draft,
 * or the subject names nothing of this roundtable (deleted since, or from elsewhere). Null for any
 * other error.
 */
export function subjectError(err: unknown, audience: boolean, t: TFunction): string | null {
  if (!(err instanceof ApiError) || err.status !== 422) return null;
  if (!(err.problem?.errors ?? []).some((e) => e?.field === 'subject')) return null;
  return t(audience ? 'subject.errorAudience' : 'subject.errorUnknown');
}

/** Only a participants' poll may name a subject (the server's rule): what to send as `audience`. */
export function audienceFor(subject: PollSubject | null, wanted: boolean): boolean {
  return subject ? false : wanted;
}
