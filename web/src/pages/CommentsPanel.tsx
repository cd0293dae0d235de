// Comments in the margin of the document page: the form under the editor and the panel beside it.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { Alert, SideBadge } from '../components';
import { useI18n, type TFunction } from '../i18n';
import type { Author, Comment, Reply } from '../types';
import { shortQuote, threadRights, THREAD_FILTERS } from '../comments/threads';
import type { DocumentComments } from '../comments/useDocumentComments';
import { useLocation } from '../router';
import { PassagePolls } from '../subjects/DocumentPolls';

const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');
/** The editor's Mod-Alt-M, as aria-keyshortcuts and as people read it. */
const SHORTCUT = IS_MAC ? { aria: 'Meta+Alt+M', text: '⌘⌥M' } : { aria: 'Control+Alt+M', text: 'Ctrl+Alt+M' };

/** Under the editor: the Comment button, and the form for the selected passage. */
export function CommentComposer({ c }: { c: DocumentComments }) {
  const { t } = useI18n();
  const hintId = useId();
  const { startComment } = c;
  const enabled = c.canComment && !!c.editor;

  // The editor's own keymap handles Mod-Alt-M while it has focus; this catches it elsewhere on the
  // page, such as a read-only text (an observer's) whose passage was selected with the mouse.
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.defaultPrevented || !e.altKey || !(IS_MAC ? e.metaKey : e.ctrlKey) || e.code !== 'KeyM') return;
      e.preventDefault();
      startComment();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled, startComment]);

  // A read-only text cannot take focus back when the form closes: the Comment button does.
  const buttonRef = useRef<HTMLButtonElement>(null);
  const hadDraft = useRef(false);
  useEffect(() => {
    if (hadDraft.current && !c.draft && c.editor && !c.editor.isEditable) buttonRef.current?.focus();
    hadDraft.current = !!c.draft;
  }, [c.draft, c.editor]);

  if (!enabled) return null;
  return (
    <div className="comment-bar" data-testid="comment-bar">
      {c.draft ? (
        <NewCommentForm c={c} t={t} />
      ) : (
        <div className="comment-bar-row">
          <button
            ref={buttonRef}
            type="button"
            aria-keyshortcuts={SHORTCUT.aria}
            aria-describedby={hintId}
            // Keep the editor's selection: the click must not take it.
            onMouseDown={(e) => e.preventDefault()}
            onClick={c.startComment}
            data-testid="comment-button"
          >
            {t('comments.add')}
          </button>
          <p id={hintId} className="hint">
            {t('comments.addHint', { keys: SHORTCUT.text })}
          </p>
        </div>
      )}
    </div>
  );
}

function NewCommentForm({ c, t }: { c: DocumentComments; t: TFunction }) {
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!body.trim()) {
      setError(t('validation.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await c.submitComment(body.trim());
    } catch (err) {
      setError(errorMessage(err, t));
      setBusy(false);
    }
  }

  return (
    <form className="comment-form" onSubmit={onSubmit} onKeyDown={escapeTo(c.cancelComment)} aria-labelledby={`${id}-title`} noValidate>
      <h2 id={`${id}-title`} className="comment-form-title">
        {t('comments.newHeading')}
      </h2>
      <figure className="comment-quote-figure">
        <figcaption className="hint">{t('comments.on')}</figcaption>
        <blockquote className="comment-quote">{shortQuote(c.draft?.quote ?? '', 300)}</blockquote>
      </figure>
      <BodyField id={id} label={t('comments.body')} value={body} onChange={setBody} error={error} t={t} />
      <div className="actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {t('comments.submit')}
        </button>
        <button type="button" onClick={c.cancelComment}>
          {t('comments.cancel')}
        </button>
      </div>
    </form>
  );
}

/** A textarea with label, the Escape hint and an error, wired with aria-describedby. */
function BodyField({
  id,
  label,
  value,
  onChange,
  error,
  t,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  error: string | null;
  t: TFunction;
}) {
  const describedBy = `${id}-hint${error ? ` ${id}-error` : ''}`;
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={`${id}-body`}>{label}</label>
      <p id={`${id}-hint`} className="hint">
        {t('comments.escapeHint')}
      </p>
      <textarea
        id={`${id}-body`}
        rows={3}
        autoFocus
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Escape (without modifiers) inside a form runs `close`. */
function escapeTo(close: () => void) {
  return (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  };
}

/** Beside the editor (below it on a narrow screen): the threads, filtered. */
export function CommentsPanel({ c }: { c: DocumentComments }) {
  const { t } = useI18n();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const listRef = useRef<HTMLOListElement>(null);

  // A click on a highlighted passage shows its thread here (focus stays in the text).
  useEffect(() => {
    if (!c.scrollTo) return;
    const thread = c.threads?.find((x) => x.id === c.scrollTo!.id);
    if (!thread) return;
    const group = thread.resolved ? 'resolved' : thread.orphaned || c.goneHere.has(thread.id) ? 'orphaned' : 'open';
    if (group !== c.filter) c.setFilter(group);
    requestAnimationFrame(() => {
      listRef.current?.querySelector(`[data-thread="${CSS.escape(thread.id)}"]`)?.scrollIntoView({ block: 'nearest' });
    });
    // Only a new request scrolls (not every change of the list).
  }, [c.scrollTo]);

  // A link to a passage (`/documents/<id>?comment=<id>`, from a poll on it) shows its thread and focuses it.
  const wanted = useLocation().search.get('comment');
  const shownWanted = useRef<string | null>(null);
  const { threads, activate } = c;
  useEffect(() => {
    if (!wanted || shownWanted.current === wanted || !threads?.some((x) => x.id === wanted)) return;
    shownWanted.current = wanted;
    activate(wanted, { scroll: true });
    // After the scroll effect above has switched the filter, if it had to.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => listRef.current?.querySelector<HTMLElement>(`[data-thread="${CSS.escape(wanted)}"]`)?.focus()),
    );
  }, [wanted, threads, activate]);

  /** After a thread leaves the current view (resolved, reopened, deleted), focus goes to the panel heading. */
  const focusHeading = () => requestAnimationFrame(() => headingRef.current?.focus());

  return (
    <aside className="comments-panel" aria-labelledby="comments-heading" data-testid="comments-panel">
      <h2 id="comments-heading" ref={headingRef} tabIndex={-1}>
        {t('comments.heading')}
      </h2>
      <p role="status" aria-live="polite" className="visually-hidden" data-testid="comments-announcer">
        {c.announcement}
      </p>
      <div role="group" aria-label={t('comments.filter')} className="comment-filter">
        {THREAD_FILTERS.map((f) => (
          <button
            key={f}
            type="button"
            aria-pressed={c.filter === f}
            onClick={() => c.setFilter(f)}
            data-filter={f}
          >
            {t(`comments.filter.${f}`, { count: c.counts[f] })}
          </button>
        ))}
      </div>
      <Alert message={c.loadError} />
      {c.filter === 'orphaned' && c.shown.length > 0 && <p className="hint comment-orphan-note">{t('comments.orphanedExplain')}</p>}
      {!c.threads ? (
        <p className="muted">{t('common.loading')}</p>
      ) : c.shown.length === 0 ? (
        <p className="muted" data-testid="comments-empty">
          {t(`comments.empty.${c.filter}`)}
        </p>
      ) : (
        <ol ref={listRef} className="threads" data-testid="comment-threads">
          {c.shown.map((thread) => (
            <ThreadItem key={thread.id} thread={thread} c={c} t={t} orphaned={c.filter === 'orphaned'} onLeave={focusHeading} />
          ))}
        </ol>
      )}
    </aside>
  );
}

type Open = { kind: 'reply' } | { kind: 'edit'; id: string; body: string } | null;

function ThreadItem({
  thread,
  c,
  t,
  orphaned,
  onLeave,
}: {
  thread: Comment;
  c: DocumentComments;
  t: TFunction;
  orphaned: boolean;
  onLeave: () => void;
}) {
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headId = useId();
  const triggers = useRef(new Map<string, HTMLButtonElement | null>());
  const rights = threadRights(thread, { userId: c.userId, canComment: c.canComment, canResolveAny: c.canResolveAny });
  const active = c.active === thread.id;

  const ref = (key: string) => (el: HTMLButtonElement | null) => {
    triggers.current.set(key, el);
  };
  // Focus back on the button that opened a form; the panel heading when that button is gone.
  const refocus = (key: string) =>
    requestAnimationFrame(() => {
      const el = triggers.current.get(key);
      if (el?.isConnected) el.focus();
      else onLeave();
    });

  async function run(action: () => Promise<void>, after?: () => void) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await action();
      after?.();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  const onDelete = (id: string) => {
    if (!window.confirm(t('comments.confirmDelete'))) return;
    void run(() => c.remove(id), id === thread.id ? onLeave : () => refocus('reply'));
  };

  const closeForm = (key: string) => {
    setOpen(null);
    refocus(key);
  };

  return (
    <li
      className={`thread${active ? ' thread--active' : ''}${thread.resolved ? ' thread--resolved' : ''}`}
      data-thread={thread.id}
      data-testid="comment-thread"
      // Focused when a link names this thread.
      tabIndex={-1}
      onFocus={() => c.activate(thread.id)}
      onClick={() => c.activate(thread.id)}
    >
      {orphaned ? (
        <figure className="comment-quote-figure">
          <figcaption className="hint">{t('comments.lastPassage')}</figcaption>
          <blockquote className="comment-quote comment-quote--gone">{shortQuote(thread.quote)}</blockquote>
        </figure>
      ) : (
        <blockquote className="comment-quote">
          <span className="visually-hidden">{t('comments.passage')}: </span>
          {shortQuote(thread.quote)}
        </blockquote>
      )}
      <Entry id={headId} author={thread.author} createdAt={thread.created_at} edited={!!thread.edited_at} deleted={thread.deleted} body={thread.body} t={t} you={thread.author.user_id === c.userId} />
      {thread.resolved && (
        <p className="comment-resolved">
          {thread.resolved_by ? t('comments.resolvedBy', { name: thread.resolved_by.display_name }) : t('comments.resolvedNoName')}
        </p>
      )}
      {thread.replies.length > 0 && (
        <ol className="replies" aria-label={t('comments.replies')}>
          {thread.replies.map((r) => (
            <ReplyItem
              key={r.id}
              reply={r}
              c={c}
              t={t}
              busy={busy}
              onEdit={() => setOpen({ kind: 'edit', id: r.id, body: r.body })}
              onDelete={() => onDelete(r.id)}
              editRef={ref(`edit:${r.id}`)}
            >
              {open?.kind === 'edit' && open.id === r.id && (
                <InlineForm
                  label={t('comments.editLabel')}
                  submit={t('comments.save')}
                  initial={open.body}
                  t={t}
                  onCancel={() => closeForm(`edit:${r.id}`)}
                  onSubmit={(body) => c.edit(r.id, body).then(() => closeForm(`edit:${r.id}`))}
                />
              )}
            </ReplyItem>
          ))}
        </ol>
      )}
      <div className="thread-actions">
        {!orphaned && (
          <button type="button" aria-describedby={headId} onClick={() => c.goToPassage(thread)}>
            {t('comments.goTo')}
          </button>
        )}
        {rights.reply && !thread.resolved && (
          <button type="button" ref={ref('reply')} aria-describedby={headId} aria-expanded={open?.kind === 'reply'} onClick={() => setOpen({ kind: 'reply' })}>
            {t('comments.reply')}
          </button>
        )}
        {rights.resolve && (
          <button
            type="button"
            aria-describedby={headId}
            aria-disabled={busy || undefined}
            onClick={() => void run(() => c.setResolved(thread, !thread.resolved), onLeave)}
          >
            {thread.resolved ? t('comments.reopen') : t('comments.resolve')}
          </button>
        )}
        {rights.editOwn && (
          <>
            <button type="button" ref={ref('edit')} aria-describedby={headId} onClick={() => setOpen({ kind: 'edit', id: thread.id, body: thread.body })}>
              {t('comments.edit')}
            </button>
            <button type="button" className="danger" aria-describedby={headId} aria-disabled={busy || undefined} onClick={() => onDelete(thread.id)}>
              {t('comments.delete')}
            </button>
          </>
        )}
      </div>
      <Alert message={error} />
      {/* Polls on this passage, and "Poll on this passage" for facilitators. */}
      <PassagePolls thread={thread} />
      {open?.kind === 'reply' && (
        <InlineForm
          label={t('comments.replyLabel', { name: thread.author.display_name })}
          submit={t('comments.replySubmit')}
          initial=""
          t={t}
          onCancel={() => closeForm('reply')}
          onSubmit={(body) => c.reply(thread, body).then(() => closeForm('reply'))}
        />
      )}
      {open?.kind === 'edit' && open.id === thread.id && (
        <InlineForm
          label={t('comments.editLabel')}
          submit={t('comments.save')}
          initial={open.body}
          t={t}
          onCancel={() => closeForm('edit')}
          onSubmit={(body) => c.edit(thread.id, body).then(() => closeForm('edit'))}
        />
      )}
    </li>
  );
}

function ReplyItem({
  reply,
  c,
  t,
  busy,
  onEdit,
  onDelete,
  editRef,
  children,
}: {
  reply: Reply;
  c: DocumentComments;
  t: TFunction;
  busy: boolean;
  onEdit: () => void;
  onDelete: () => void;
  editRef: (el: HTMLButtonElement | null) => void;
  children: ReactNode;
}) {
  const id = useId();
  const mine = reply.author.user_id === c.userId && !reply.deleted;
  return (
    <li className="reply">
      <Entry id={id} author={reply.author} createdAt={reply.created_at} edited={!!reply.edited_at} deleted={reply.deleted} body={reply.body} t={t} you={reply.author.user_id === c.userId} />
      {mine && (
        <div className="thread-actions">
          <button type="button" ref={editRef} aria-describedby={id} onClick={onEdit}>
            {t('comments.edit')}
          </button>
          <button type="button" className="danger" aria-describedby={id} aria-disabled={busy || undefined} onClick={onDelete}>
            {t('comments.delete')}
          </button>
        </div>
      )}
      {children}
    </li>
  );
}

/** Who wrote it (name, side chip named in text), when, and the text with its line breaks. */
function Entry({
  id,
  author,
  createdAt,
  edited,
  deleted,
  body,
  t,
  you,
}: {
  id: string;
  author: Author;
  createdAt: string;
  edited: boolean;
  deleted: boolean;
  body: string;
  t: TFunction;
  you: boolean;
}) {
  const { formatDate } = useI18n();
  return (
    <div className="comment">
      <p className="comment-meta" id={id}>
        <span className="comment-author">{author.display_name}</span>
        {you && <span className="muted"> {t('doc.you')}</span>} <SideBadge side={author.side}>{t(`side.${author.side}`)}</SideBadge>{' '}
        <time dateTime={createdAt} className="comment-time">
          {formatDate(createdAt)}
        </time>
        {edited && !deleted && <span className="muted"> · {t('comments.edited')}</span>}
      </p>
      {deleted ? <p className="comment-body comment-body--deleted">{t('comments.deleted')}</p> : <p className="comment-body">{body}</p>}
    </div>
  );
}

/** Reply or edit form inside a thread: Escape or Cancel closes it and focus returns to its button. */
function InlineForm({
  label,
  submit,
  initial,
  t,
  onSubmit,
  onCancel,
}: {
  label: string;
  submit: string;
  initial: string;
  t: TFunction;
  onSubmit: (body: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [body, setBody] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function handle(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!body.trim()) {
      setError(t('validation.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(body.trim());
    } catch (err) {
      setError(errorMessage(err, t));
      setBusy(false);
    }
  }

  return (
    <form className="comment-form comment-form--inline" onSubmit={handle} onKeyDown={escapeTo(onCancel)} noValidate>
      <BodyField id={id} label={label} value={body} onChange={setBody} error={error} t={t} />
      <div className="actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {submit}
        </button>
        <button type="button" onClick={onCancel}>
          {t('comments.cancel')}
        </button>
      </div>
    </form>
  );
}
