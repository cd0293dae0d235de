import type {
  Agreed,
  Agreement,
  AuditPage,
  Comment,
  CommentStatusQuery,
  DocDiff,
  NewComment,
  NewVersion,
  Problem,
  ProposeAgreement,
  RestoreResult,
  TakePosition,
  Version,
  VersionWithText,
} from './types';
import type { TFunction } from './i18n';

export class ApiError extends Error {
  constructor(
    public status: number,
    public problem: Problem | null,
    public retryAfter: string | null = null,
    /** What to say, already in the reader's language (a form that knows better than the type). */
    public said: string | null = null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
  /** Field errors keyed by field name. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) {
      if (e && typeof e.field === 'string' && !(e.field in out)) out[e.field] = e.message;
    }
    return out;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  const text = res.status === 204 ? '' : await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const problem = data && typeof data === 'object' ? (data as Problem) : null;
    throw new ApiError(res.status, problem, res.headers.get('Retry-After'));
  }
  return data as T;
}

/** A human readable, translated message for any error thrown by `api`. */
export function errorMessage(err: unknown, t: TFunction): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('common.network');
    if (err.status === 429) {
      const secs = err.retryAfter && /^\d+$/.test(err.retryAfter) ? err.retryAfter : null;
      return secs ? t('common.rateLimited', { seconds: secs }) : t('common.rateLimitedNoTime');
    }
    if (err.said) return err.said;
    // The problem's stable `type` chooses the words, in the reader's
    // language; the server's English detail is only the fallback.
    const key = problemKey(err.problem?.type);
    const translated = key ? t(key) : null;
    if (key && translated && translated !== key) return translated;
    return err.problem?.detail || err.problem?.title || t('common.error');
  }
  return t('common.error');
}

const PROBLEM_PREFIX = 'urn:accord:problem:';

/** The i18n key of a problem `type` (`urn:accord:problem:<slug>` → `problem.<slug>`). */
export function problemKey(type: string | null | undefined): string | null {
  if (!type || !type.startsWith(PROBLEM_PREFIX)) return null;
  const slug = type.slice(PROBLEM_PREFIX.length);
  return /^[a-z-]+$/.test(slug) ? `problem.${slug}` : null;
}

/** Only allow same-site relative paths as redirect targets. */
export function safeNext(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}

// Review (issue 9): versions and diffs of a document.
const enc = encodeURIComponent;

/** A document's versions, newest first. */
export function listVersions(documentId: string): Promise<Version[]> {
  return api<Version[]>('GET', `/documents/${enc(documentId)}/versions`);
}

/** Saves the document's current (durable) text as a named version. */
export function saveVersion(documentId: string, body: NewVersion): Promise<Version> {
  return api<Version>('POST', `/documents/${enc(documentId)}/versions`, body);
}

/** One version with its Markdown and (server-escaped) HTML. */
export function getVersion(versionId: string): Promise<VersionWithText> {
  return api<VersionWithText>('GET', `/versions/${enc(versionId)}`);
}

/** Makes the live document equal to that version, as a new change; the text before is kept as a version. */
export function restoreVersion(versionId: string): Promise<RestoreResult> {
  return api<RestoreResult>('POST', `/versions/${enc(versionId)}/restore`);
}

/** The text as it is now, as `to` of a diff. */
export const CURRENT = 'current';

/** The path (under /api/v1) of the diff between two versions, or a version and `CURRENT`. */
export function diffPath(documentId: string, from: string, to: string, format: 'json' | 'html' = 'json'): string {
  const q = new URLSearchParams({ from, to });
  return `/documents/${enc(documentId)}/${format === 'html' ? 'diff.html' : 'diff'}?${q}`;
}

export function getDiff(documentId: string, from: string, to: string): Promise<DocDiff> {
  return api<DocDiff>('GET', diffPath(documentId, from, to));
}

/** Where the browser downloads a version's Markdown (`text/markdown`). */
export function versionMarkdownUrl(versionId: string): string {
  return `/api/v1/versions/${enc(versionId)}/markdown`;
}

// Comments (issue 9). Every write answers with the whole thread; DELETE answers 204.
const commentPath = (id: string) => `/comments/${encodeURIComponent(id)}`;

export const commentsApi = {
  list: (documentId: string, status: CommentStatusQuery = 'all') =>
    api<Comment[]>('GET', `/documents/${encodeURIComponent(documentId)}/comments?status=${status}`),
  create: (documentId: string, body: NewComment) =>
    api<Comment>('POST', `/documents/${encodeURIComponent(documentId)}/comments`, body),
  reply: (commentId: string, body: string) => api<Comment>('POST', `${commentPath(commentId)}/replies`, { body }),
  resolve: (commentId: string) => api<Comment>('POST', `${commentPath(commentId)}/resolve`),
  reopen: (commentId: string) => api<Comment>('POST', `${commentPath(commentId)}/reopen`),
  /** Edits a thread's first comment or a reply; answers with the thread. */
  edit: (commentId: string, body: string) => api<Comment>('PATCH', commentPath(commentId), { body }),
  /** Deletes a thread's first comment or a reply (the server says what remains over the event socket). */
  remove: (commentId: string) => api<void>('DELETE', commentPath(commentId)),
};

// Agreements (issue 10): a facilitator proposes a version, each side's voters take positions quoting
// the version's SHA-256, the server decides and seals the outcome. Every answer is the whole agreement.
export const agreementsApi = {
  /** Proposes a version for agreement (supersedes the document's open proposal) → 201. */
  propose: (versionId: string, body: ProposeAgreement) => api<Agreement>('POST', `/versions/${enc(versionId)}/agreement`, body),
  /** Endorse, object (with a reason) or abstain, quoting the SHA-256 of the version one reviewed. */
  position: (agreementId: string, body: TakePosition) => api<Agreement>('POST', `/agreements/${enc(agreementId)}/positions`, body),
  withdraw: (agreementId: string) => api<Agreement>('POST', `/agreements/${enc(agreementId)}/withdraw`),
  get: (agreementId: string) => api<Agreement>('GET', `/agreements/${enc(agreementId)}`),
  /** Every agreement of the roundtable, newest first. */
  list: (roundtableId: string) => api<Agreement[]>('GET', `/roundtables/${enc(roundtableId)}/agreements`),
  /** The agreed versions, newest agreement first. */
  agreed: (roundtableId: string) => api<Agreed[]>('GET', `/roundtables/${enc(roundtableId)}/agreed`),
};

/** A page of the roundtable's audit trail, newest first; `before` is the previous page's `next_before`. */
export function auditPage(roundtableId: string, before?: number | null, limit = 50): Promise<AuditPage> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before != null) q.set('before', String(before));
  return api<AuditPage>('GET', `/roundtables/${enc(roundtableId)}/audit?${q}`);
}

export const EXPORT_FORMATS = ['md', 'html', 'docx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Where the browser downloads a version as a file, its header (and agreement page) in `lang`. */
export function versionExportUrl(versionId: string, format: ExportFormat, lang: string): string {
  return `/api/v1/versions/${enc(versionId)}/export.${format}?${new URLSearchParams({ lang })}`;
}
