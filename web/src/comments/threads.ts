/** Pure helpers for the comment threads of one document (no DOM, no React: unit-tested in node). */
import type { CommentMessage, CommentRemovedMessage } from '../live/types';
import type { Comment } from '../types';

export const THREAD_FILTERS = ['open', 'resolved', 'orphaned'] as const;
export type ThreadFilter = (typeof THREAD_FILTERS)[number];

/**
 * Which group a thread is listed in. Resolved wins (nothing more to do); an open thread whose passage
 * was deleted — by the server's word, or because its anchor collapsed here since — is listed apart.
 */
export function threadGroup(c: Comment, goneHere: ReadonlySet<string> = EMPTY): ThreadFilter {
  if (c.resolved) return 'resolved';
  return c.orphaned || goneHere.has(c.id) ? 'orphaned' : 'open';
}

const EMPTY: ReadonlySet<string> = new Set();

export function filterCounts(list: readonly Comment[], goneHere: ReadonlySet<string> = EMPTY): Record<ThreadFilter, number> {
  const counts: Record<ThreadFilter, number> = { open: 0, resolved: 0, orphaned: 0 };
  for (const c of list) counts[threadGroup(c, goneHere)]++;
  return counts;
}

export function filterThreads(list: readonly Comment[], filter: ThreadFilter, goneHere: ReadonlySet<string> = EMPTY): Comment[] {
  return list.filter((c) => threadGroup(c, goneHere) === filter);
}

/** The list with `thread` in place of the one with its id, or added at the end. */
export function upsertThread(list: readonly Comment[], thread: Comment): Comment[] {
  const i = list.findIndex((c) => c.id === thread.id);
  if (i < 0) return [...list, thread];
  const out = list.slice();
  out[i] = thread;
  return out;
}

/** Applies an event-socket message about comments; messages about other documents change nothing. */
export function applyCommentMessage(
  list: readonly Comment[],
  msg: CommentMessage | CommentRemovedMessage,
  documentId: string,
): readonly Comment[] {
  if (msg.document_id !== documentId) return list;
  if (msg.type === 'comment') return msg.comment.document_id === documentId ? upsertThread(list, msg.comment) : list;
  return list.some((c) => c.id === msg.comment_id) ? list.filter((c) => c.id !== msg.comment_id) : list;
}

/**
 * What deleting `commentId` (a thread's first comment or a reply) leaves, until the server's own
 * message says: a thread without replies goes; one with replies stays as "comment deleted"; a reply
 * stays as a deleted reply.
 */
export function withDeleted(list: readonly Comment[], commentId: string): Comment[] {
  const out: Comment[] = [];
  for (const c of list) {
    if (c.id === commentId) {
      if (c.replies.some((r) => !r.deleted)) out.push({ ...c, deleted: true, body: '' });
      continue;
    }
    if (c.replies.some((r) => r.id === commentId)) {
      out.push({ ...c, replies: c.replies.map((r) => (r.id === commentId ? { ...r, deleted: true, body: '' } : r)) });
      continue;
    }
    out.push(c);
  }
  return out;
}

/**
 * Threads in the order of their passages in the text as it is now (`order`: ids by position, from
 * the editor), then those it does not know (orphaned, not yet resolved) in the server's order.
 */
export function inTextOrder(list: readonly Comment[], order: readonly string[]): Comment[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  return list
    .map((c, i) => ({ c, i, r: rank.get(c.id) }))
    .sort((a, b) => {
      if (a.r !== undefined && b.r !== undefined) return a.r - b.r || a.i - b.i;
      if (a.r !== undefined) return -1;
      if (b.r !== undefined) return 1;
      return a.i - b.i;
    })
    .map((x) => x.c);
}

/** Something others did that is worth announcing: a new thread, or a new reply in a known one. */
export type Arrival = { kind: 'thread'; thread: Comment } | { kind: 'reply'; thread: Comment; author: string };

export function arrivalOf(before: readonly Comment[], incoming: Comment, myUserId: string): Arrival | null {
  const prev = before.find((c) => c.id === incoming.id);
  if (!prev) return incoming.author.user_id !== myUserId && !incoming.deleted ? { kind: 'thread', thread: incoming } : null;
  const known = new Set(prev.replies.map((r) => r.id));
  const fresh = incoming.replies.filter((r) => !known.has(r.id) && !r.deleted && r.author.user_id !== myUserId);
  const last = fresh[fresh.length - 1];
  return last ? { kind: 'reply', thread: incoming, author: last.author.display_name } : null;
}

/** What the caller may do with a thread or one of its replies. */
export interface ThreadRights {
  reply: boolean;
  resolve: boolean;
  /** Edit and delete the thread's first comment. */
  editOwn: boolean;
}

export function threadRights(c: Comment, me: { userId: string; canComment: boolean; canResolveAny: boolean }): ThreadRights {
  const mine = c.author.user_id === me.userId;
  return {
    reply: me.canComment,
    resolve: mine || me.canResolveAny,
    editOwn: mine && !c.deleted,
  };
}

/** A quote for one line of the panel: whitespace folded, cut at `max` characters with an ellipsis. */
export function shortQuote(quote: string, max = 160): string {
  const chars = Array.from(quote.replace(/\s+/g, ' ').trim()); // code points: never half an emoji
  return chars.length > max ? `${chars.slice(0, max - 1).join('').trimEnd()}…` : chars.join('');
}
