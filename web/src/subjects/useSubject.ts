/**
 * What a poll's subject is, read over REST: a version (`GET /versions/{id}`, with its text) and
 * its document's title, or a passage (the thread's `quote` from `GET /documents/{id}/comments`).
 * Versions never change, so they are read once per page; a passage is read again after a minute
 * (its wording follows the text until the passage is deleted). Failed reads are not kept.
 */
import { useEffect, useState } from 'react';
import { api, commentsApi, getVersion } from '../api';
import type { AccordDocument, PollSubject, VersionWithText } from '../types';
import { isPassageSubject, subjectKey } from './logic';

export type SubjectInfo =
  | { kind: 'version'; documentTitle: string; version: VersionWithText }
  | {
      kind: 'passage';
      documentId: string;
      documentTitle: string;
      commentId: string;
      /** Null when the thread is gone entirely. */
      quote: string | null;
      orphaned: boolean;
    };

const PASSAGE_TTL_MS = 60_000;
const cache = new Map<string, { at: number; value: Promise<SubjectInfo> }>();
const documents = new Map<string, Promise<AccordDocument>>();

function documentOf(id: string): Promise<AccordDocument> {
  let p = documents.get(id);
  if (!p) {
    p = api<AccordDocument>('GET', `/documents/${encodeURIComponent(id)}`);
    documents.set(id, p);
    p.catch(() => documents.delete(id));
  }
  return p;
}

async function read(s: PollSubject): Promise<SubjectInfo> {
  if (isPassageSubject(s)) {
    const [doc, threads] = await Promise.all([documentOf(s.document_id), commentsApi.list(s.document_id, 'all')]);
    const thread = threads.find((c) => c.id === s.comment_id);
    return {
      kind: 'passage',
      documentId: s.document_id,
      documentTitle: doc.title,
      commentId: s.comment_id,
      quote: thread ? thread.quote : null,
      orphaned: !!thread?.orphaned,
    };
  }
  const version = await getVersion(s.version_id);
  const doc = await documentOf(version.document_id);
  return { kind: 'version', documentTitle: doc.title, version };
}

/** The subject's details, shared by every block that shows the same subject. */
export function loadSubject(s: PollSubject, now = Date.now()): Promise<SubjectInfo> {
  const key = subjectKey(s);
  const hit = cache.get(key);
  if (hit && (!isPassageSubject(s) || now - hit.at < PASSAGE_TTL_MS)) return hit.value;
  const value = read(s);
  cache.set(key, { at: now, value });
  value.catch(() => {
    if (cache.get(key)?.value === value) cache.delete(key);
  });
  return value;
}

export function useSubject(subject: PollSubject | null | undefined): { info: SubjectInfo | null; failed: boolean } {
  const key = subject ? subjectKey(subject) : '';
  const [state, setState] = useState<{ key: string; info: SubjectInfo | null; failed: boolean }>({ key: '', info: null, failed: false });
  useEffect(() => {
    if (!subject) return;
    let cancelled = false;
    loadSubject(subject)
      .then((info) => !cancelled && setState({ key, info, failed: false }))
      .catch(() => !cancelled && setState({ key, info: null, failed: true }));
    return () => {
      cancelled = true;
    };
    // The key names the subject; a new object with the same key is the same subject.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state.key === key ? { info: state.info, failed: state.failed } : { info: null, failed: false };
}
