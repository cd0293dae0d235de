/**
 * React state for one document's comment threads: loaded over REST, kept live over the event
 * socket's roundtable room, drawn into the editor by the CommentHighlights extension.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Editor } from '@tiptap/react';
import { api, commentsApi, errorMessage } from '../api';
import { useAuth } from '../auth';
import type { TFunction } from '../i18n';
import { roomOf } from '../live/logic';
import { LiveSocket } from '../live/socket';
import type { ServerMessage } from '../live/types';
import { can, canReview, type AccordDocument, type Comment, type Roundtable } from '../types';
import { bindingOf, decodeAnchor, makeAnchor, resolveAnchor, type DecodedAnchor } from './anchors';
import { CommentHighlights, setCommentHighlights, type HighlightAnchor, type HighlightSummary } from './highlight';
import {
  applyCommentMessage,
  arrivalOf,
  filterCounts,
  filterThreads,
  inTextOrder,
  shortQuote,
  upsertThread,
  withDeleted,
  type ThreadFilter,
} from './threads';

/** The comment being written: where (kept as Yjs positions, so edits meanwhile do not move it) and what it quotes. */
export interface Draft {
  anchor: { start: string; end: string };
  decoded: DecodedAnchor;
  quote: string;
}

export interface DocumentComments {
  /** The TipTap extension to add to the editor (stable for the page's lifetime). */
  extension: ReturnType<typeof CommentHighlights.configure>;
  /** Tells the hook which editor shows the text (it is rebuilt when the caller's rights change). */
  setEditor: (editor: Editor | null) => void;
  editor: Editor | null;
  userId: string;
  canComment: boolean;
  canResolveAny: boolean;
  /** All threads, in the order of their passages; null while loading. */
  threads: Comment[] | null;
  loadError: string | null;
  filter: ThreadFilter;
  setFilter: (f: ThreadFilter) => void;
  counts: Record<ThreadFilter, number>;
  shown: Comment[];
  /** Threads whose passage was deleted here since the server last said. */
  goneHere: ReadonlySet<string>;
  active: string | null;
  activate: (id: string | null, opts?: { scroll?: boolean }) => void;
  /** Set when a thread should be scrolled into view in the panel (a click on its passage). */
  scrollTo: { id: string; n: number } | null;
  draft: Draft | null;
  /** Opens the form for the editor's selection; says what to do when nothing is selected. */
  startComment: () => void;
  cancelComment: () => void;
  submitComment: (body: string) => Promise<void>;
  reply: (thread: Comment, body: string) => Promise<void>;
  setResolved: (thread: Comment, resolved: boolean) => Promise<void>;
  edit: (commentId: string, body: string) => Promise<void>;
  remove: (commentId: string) => Promise<void>;
  /** Selects the thread's passage in the editor and moves focus there. */
  goToPassage: (thread: Comment) => void;
  /** A polite announcement (new threads from others, outcomes of one's own actions). */
  announcement: string;
  announce: (text: string) => void;
}

export function useDocumentComments(doc: AccordDocument, t: TFunction): DocumentComments {
  const { user } = useAuth();
  const userId = user?.id ?? '';
  const [editor, setEditorState] = useState<Editor | null>(null);
  const [threads, setThreads] = useState<Comment[] | null>(null);
  const threadsRef = useRef<Comment[] | null>(null);
  threadsRef.current = threads;
  const [loadError, setLoadError] = useState<string | null>(null);
  const [actions, setActions] = useState<readonly string[] | null>(null);
  const [filter, setFilter] = useState<ThreadFilter>('open');
  const [active, setActive] = useState<string | null>(null);
  const [scrollTo, setScrollTo] = useState<{ id: string; n: number } | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [summary, setSummary] = useState<HighlightSummary>({ order: [], gone: [] });
  const [announcement, setAnnouncement] = useState('');
  const tRef = useRef(t);
  tRef.current = t;

  // The same text twice would not be spoken again: alternate a trailing no-break space.
  const announce = useCallback((text: string) => {
    setAnnouncement((prev) => (prev === text ? `${text}\u00a0` : text));
  }, []);

  const reload = useCallback(async () => {
    try {
      const list = await commentsApi.list(doc.id, 'all');
      setThreads(list);
      setLoadError(null);
    } catch (e) {
      setLoadError(`${tRef.current('comments.loadFailed')} ${errorMessage(e, tRef.current)}`);
      setThreads((prev) => prev ?? []);
    }
  }, [doc.id]);

  useEffect(() => {
    setThreads(null);
    void reload();
  }, [reload]);

  // my_actions decide who may comment and who may resolve anyone's thread.
  useEffect(() => {
    let cancelled = false;
    api<Roundtable>('GET', `/roundtables/${encodeURIComponent(doc.roundtable_id)}`)
      .then((rt) => !cancelled && setActions(rt.my_actions ?? []))
      .catch(() => !cancelled && setActions([]));
    return () => {
      cancelled = true;
    };
  }, [doc.roundtable_id]);

  // Live: the roundtable room of the event socket. Every (re)subscription reads the list again, so
  // nothing said while disconnected is missed (the socket carries news, the REST read the truth).
  useEffect(() => {
    const onMessage = (msg: ServerMessage) => {
      switch (msg.type) {
        case 'subscribed':
          void reload();
          break;
        case 'comment': {
          if (msg.document_id !== doc.id) break;
          const before = threadsRef.current ?? [];
          const arrival = arrivalOf(before, msg.comment, userId);
          setThreads((list) => [...applyCommentMessage(list ?? [], msg, doc.id)]);
          if (arrival) {
            const quote = shortQuote(arrival.thread.quote, 80);
            announce(
              arrival.kind === 'thread'
                ? tRef.current('comments.announceNew', { name: arrival.thread.author.display_name, quote })
                : tRef.current('comments.announceReply', { name: arrival.author, quote }),
            );
          }
          break;
        }
        case 'comment_removed':
          if (msg.document_id === doc.id) setThreads((list) => [...applyCommentMessage(list ?? [], msg, doc.id)]);
          break;
        case 'role_changed':
          setActions(msg.actions);
          break;
        default:
          break;
      }
    };
    const socket = new LiveSocket({ room: roomOf(doc.roundtable_id), onMessage });
    socket.start();
    return () => socket.stop();
  }, [doc.id, doc.roundtable_id, userId, reload, announce]);

  const canComment = actions ? can({ my_actions: actions as Roundtable['my_actions'] }, 'comment') : false;
  const canResolveAny = canReview({ my_actions: actions }, 'resolve_comments');

  // The extension calls back through this ref, so it can be created once.
  const bridge = useRef({ startComment: () => {}, activate: (_id: string) => {}, summary: (_s: HighlightSummary) => {} });
  const extension = useMemo(
    () =>
      CommentHighlights.configure({
        onShortcut: () => bridge.current.startComment(),
        onActivate: (id) => bridge.current.activate(id),
        onSummary: (s) => bridge.current.summary(s),
      }),
    [],
  );

  const setEditor = useCallback((e: Editor | null) => {
    setEditorState(e);
    if (!e) setSummary({ order: [], gone: [] });
  }, []);

  // Threads with a passage to show, decoded once per anchor.
  const decodedCache = useRef(new Map<string, DecodedAnchor | null>());
  const anchors = useMemo<HighlightAnchor[]>(() => {
    const out: HighlightAnchor[] = [];
    for (const c of threads ?? []) {
      if (c.orphaned) continue;
      const key = `${c.anchor.start}|${c.anchor.end}`;
      if (!decodedCache.current.has(key)) decodedCache.current.set(key, decodeAnchor(c.anchor));
      const d = decodedCache.current.get(key);
      if (d) out.push({ id: c.id, resolved: c.resolved, ...d });
    }
    return out;
  }, [threads]);

  useEffect(() => {
    if (!editor || editor.isDestroyed) return;
    setCommentHighlights(editor.view, { anchors, active, pending: draft?.decoded ?? null });
  }, [editor, anchors, active, draft]);

  const activate = useCallback((id: string | null, opts?: { scroll?: boolean }) => {
    setActive(id);
    if (id && opts?.scroll) setScrollTo((prev) => ({ id, n: (prev?.n ?? 0) + 1 }));
  }, []);

  const startComment = useCallback(() => {
    if (!editor || editor.isDestroyed || !canComment) return;
    const { from, to, empty } = editor.state.selection;
    const b = bindingOf(editor.state);
    const quote = editor.state.doc.textBetween(from, to, '\n', ' ').trim();
    if (empty || !b || !quote) {
      announce(tRef.current('comments.selectFirst'));
      return;
    }
    const anchor = makeAnchor(from, to, b);
    const decoded = decodeAnchor(anchor);
    if (!decoded) return;
    setDraft({ anchor, decoded, quote });
  }, [editor, canComment, announce]);

  const cancelComment = useCallback(() => {
    setDraft(null);
    if (editor && !editor.isDestroyed) editor.commands.focus();
  }, [editor]);

  const submitComment = useCallback(
    async (body: string) => {
      if (!draft) return;
      const created = await commentsApi.create(doc.id, { body, anchor: draft.anchor });
      setThreads((list) => upsertThread(list ?? [], created));
      setDraft(null);
      setFilter('open');
      setActive(created.id);
      announce(tRef.current('comments.added'));
      if (editor && !editor.isDestroyed) editor.commands.focus();
    },
    [draft, doc.id, editor, announce],
  );

  const reply = useCallback(
    async (thread: Comment, body: string) => {
      const updated = await commentsApi.reply(thread.id, body);
      setThreads((list) => upsertThread(list ?? [], updated));
      announce(tRef.current('comments.replyDone'));
    },
    [announce],
  );

  const setResolved = useCallback(
    async (thread: Comment, resolved: boolean) => {
      const updated = await (resolved ? commentsApi.resolve(thread.id) : commentsApi.reopen(thread.id));
      setThreads((list) => upsertThread(list ?? [], updated));
      // A resolved thread leaves the open list; its passage need not stand out any more.
      if (resolved) setActive((a) => (a === thread.id ? null : a));
      announce(tRef.current(resolved ? 'comments.resolvedDone' : 'comments.reopenedDone'));
    },
    [announce],
  );

  const edit = useCallback(
    async (commentId: string, body: string) => {
      const updated = await commentsApi.edit(commentId, body);
      setThreads((list) => upsertThread(list ?? [], updated));
      announce(tRef.current('comments.savedDone'));
    },
    [announce],
  );

  const remove = useCallback(
    async (commentId: string) => {
      await commentsApi.remove(commentId);
      // The server's `comment` / `comment_removed` message will say exactly what remains.
      setThreads((list) => withDeleted(list ?? [], commentId));
      announce(tRef.current('comments.deletedDone'));
    },
    [announce],
  );

  const goToPassage = useCallback(
    (thread: Comment) => {
      if (!editor || editor.isDestroyed) return;
      const b = bindingOf(editor.state);
      const d = decodeAnchor(thread.anchor);
      if (!b || !d) return;
      const r = resolveAnchor(d, b);
      if (r.kind !== 'range') return;
      setActive(thread.id);
      editor.chain().focus().setTextSelection({ from: r.from, to: r.to }).scrollIntoView().run();
    },
    [editor],
  );

  bridge.current = {
    startComment,
    activate: (id) => activate(id, { scroll: true }),
    summary: setSummary,
  };

  const goneHere = useMemo(() => new Set(summary.gone), [summary.gone]);
  const ordered = useMemo(() => (threads ? inTextOrder(threads, summary.order) : null), [threads, summary.order]);
  const counts = useMemo(() => filterCounts(ordered ?? [], goneHere), [ordered, goneHere]);
  const shown = useMemo(() => filterThreads(ordered ?? [], filter, goneHere), [ordered, filter, goneHere]);

  return {
    extension,
    setEditor,
    editor,
    userId,
    canComment,
    canResolveAny,
    threads: ordered,
    loadError,
    filter,
    setFilter,
    counts,
    shown,
    goneHere,
    active,
    activate,
    scrollTo,
    draft,
    startComment,
    cancelComment,
    submitComment,
    reply,
    setResolved,
    edit,
    remove,
    goToPassage,
    announcement,
    announce,
  };
}
