import { describe, expect, it } from 'vitest';
import type { Author, Comment, Reply } from '../types';
import type { CommentMessage, CommentRemovedMessage } from '../live/types';
import { parseServerMessage } from '../live/logic';
import {
  applyCommentMessage,
  arrivalOf,
  filterCounts,
  filterThreads,
  inTextOrder,
  shortQuote,
  threadGroup,
  threadRights,
  upsertThread,
  withDeleted,
} from './threads';

const ana: Author = { user_id: 'u-ana', display_name: 'Ana', side: 'employer' };
const ole: Author = { user_id: 'u-ole', display_name: 'Ole', side: 'union' };
const DOC = 'd1';

function reply(id: string, author = ole, extra: Partial<Reply> = {}): Reply {
  return { id, body: `reply ${id}`, author, created_at: '2025-01-01T10:00:00Z', edited_at: null, deleted: false, ...extra };
}

function thread(id: string, extra: Partial<Comment> = {}): Comment {
  return {
    id,
    document_id: DOC,
    body: `body ${id}`,
    author: ana,
    created_at: '2025-01-01T09:00:00Z',
    edited_at: null,
    deleted: false,
    anchor: { start: 'AA==', end: 'AA==' },
    quote: `quote ${id}`,
    orphaned: false,
    resolved: false,
    resolved_by: null,
    version_id: null,
    replies: [],
    ...extra,
  };
}

const msg = (comment: Comment, document_id = DOC): CommentMessage => ({ type: 'comment', room: 'roundtable:r', document_id, comment });
const removed = (comment_id: string, document_id = DOC): CommentRemovedMessage => ({
  type: 'comment_removed',
  room: 'roundtable:r',
  document_id,
  comment_id,
});

describe('groups and counts', () => {
  const list = [
    thread('a'),
    thread('b', { resolved: true }),
    thread('c', { orphaned: true }),
    thread('d', { orphaned: true, resolved: true }),
    thread('e'),
  ];

  it('puts resolved first, then orphaned, else open', () => {
    expect(list.map((c) => threadGroup(c))).toEqual(['open', 'resolved', 'orphaned', 'resolved', 'open']);
  });

  it('counts each group', () => {
    expect(filterCounts(list)).toEqual({ open: 2, resolved: 2, orphaned: 1 });
    expect(filterCounts([])).toEqual({ open: 0, resolved: 0, orphaned: 0 });
  });

  it('counts a thread whose anchor collapsed here as orphaned before the server says so', () => {
    const gone = new Set(['e']);
    expect(filterCounts(list, gone)).toEqual({ open: 1, resolved: 2, orphaned: 2 });
    expect(filterThreads(list, 'orphaned', gone).map((c) => c.id)).toEqual(['c', 'e']);
    expect(filterThreads(list, 'open', gone).map((c) => c.id)).toEqual(['a']);
  });
});

describe('applying socket messages', () => {
  it('adds a new thread and replaces a known one in place', () => {
    let list: readonly Comment[] = [thread('a'), thread('b')];
    list = applyCommentMessage(list, msg(thread('c')), DOC);
    expect(list.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    list = applyCommentMessage(list, msg(thread('a', { resolved: true, replies: [reply('r1')] })), DOC);
    expect(list.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(list[0].resolved).toBe(true);
    expect(list[0].replies).toHaveLength(1);
  });

  it('removes a thread that is gone, and ignores an unknown one', () => {
    const list = [thread('a'), thread('b')];
    expect(applyCommentMessage(list, removed('a'), DOC).map((c) => c.id)).toEqual(['b']);
    expect(applyCommentMessage(list, removed('zzz'), DOC)).toBe(list);
  });

  it('ignores messages about other documents', () => {
    const list = [thread('a')];
    expect(applyCommentMessage(list, msg(thread('x'), 'other'), DOC)).toBe(list);
    expect(applyCommentMessage(list, removed('a', 'other'), DOC)).toBe(list);
    expect(applyCommentMessage(list, msg(thread('x', { document_id: 'other' })), DOC)).toBe(list);
  });

  it('parses the contract shapes off the wire, and refuses malformed ones', () => {
    const wire = { v: 1, type: 'comment', room: 'roundtable:r', document_id: DOC, comment: thread('a') };
    const parsed = parseServerMessage(JSON.stringify(wire));
    expect(parsed?.type).toBe('comment');
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'comment_removed', room: 'r', document_id: DOC, comment_id: 'a' }))?.type).toBe(
      'comment_removed',
    );
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'comment', room: 'r', document_id: DOC }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'comment_removed', room: 'r', document_id: DOC }))).toBeNull();
  });

  it('upserts by id', () => {
    expect(upsertThread([], thread('a')).map((c) => c.id)).toEqual(['a']);
  });
});

describe('deleting', () => {
  it('drops a thread without replies', () => {
    expect(withDeleted([thread('a'), thread('b')], 'a').map((c) => c.id)).toEqual(['b']);
  });

  it('keeps a thread with replies as deleted, body emptied', () => {
    const [t] = withDeleted([thread('a', { replies: [reply('r1')] })], 'a');
    expect(t.deleted).toBe(true);
    expect(t.body).toBe('');
    expect(t.replies).toHaveLength(1);
  });

  it('drops a thread whose replies are all deleted already', () => {
    expect(withDeleted([thread('a', { replies: [reply('r1', ole, { deleted: true })] })], 'a')).toEqual([]);
  });

  it('marks a reply deleted', () => {
    const [t] = withDeleted([thread('a', { replies: [reply('r1'), reply('r2')] })], 'r2');
    expect(t.replies.map((r) => [r.id, r.deleted, r.body])).toEqual([
      ['r1', false, 'reply r1'],
      ['r2', true, ''],
    ]);
  });
});

describe('order in the text', () => {
  it('follows the editor order, then keeps the rest in list order', () => {
    const list = [thread('a'), thread('b'), thread('c'), thread('d')];
    expect(inTextOrder(list, ['c', 'a']).map((c) => c.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(inTextOrder(list, []).map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('announcements', () => {
  it('announces others’ new threads and replies, not mine', () => {
    expect(arrivalOf([], thread('a', { author: ole }), ana.user_id)?.kind).toBe('thread');
    expect(arrivalOf([], thread('a'), ana.user_id)).toBeNull();
    const known = [thread('a', { replies: [reply('r1')] })];
    const withReply = thread('a', { replies: [reply('r1'), reply('r2')] });
    expect(arrivalOf(known, withReply, ana.user_id)).toEqual({ kind: 'reply', thread: withReply, author: 'Ole' });
    expect(arrivalOf(known, thread('a', { replies: [reply('r1'), reply('r2', ana)] }), ana.user_id)).toBeNull();
    expect(arrivalOf(known, thread('a', { resolved: true, replies: [reply('r1')] }), ana.user_id)).toBeNull();
  });
});

describe('rights', () => {
  const me = { userId: ana.user_id, canComment: true, canResolveAny: false };
  it('lets the author resolve and edit their thread', () => {
    expect(threadRights(thread('a'), me)).toEqual({ reply: true, resolve: true, editOwn: true });
  });
  it('lets others resolve only with resolve_comments', () => {
    expect(threadRights(thread('a', { author: ole }), me)).toEqual({ reply: true, resolve: false, editOwn: false });
    expect(threadRights(thread('a', { author: ole }), { ...me, canResolveAny: true }).resolve).toBe(true);
  });
  it('has nothing to edit once deleted', () => {
    expect(threadRights(thread('a', { deleted: true }), me).editOwn).toBe(false);
  });
});

describe('shortQuote', () => {
  it('folds whitespace and cuts long quotes without splitting a character', () => {
    expect(shortQuote('  a\n\nb  ')).toBe('a b');
    expect(shortQuote('😀'.repeat(10), 5)).toBe('😀😀😀😀…');
  });
});
