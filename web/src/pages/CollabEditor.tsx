import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { EditorContent, useEditor, useEditorState, type Editor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import Link from '@tiptap/extension-link';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import * as authProtocol from 'y-protocols/auth';
import type * as decoding from 'lib0/decoding';
import { SideBadge } from '../components';
import {
  connectionState,
  normaliseLink,
  presentUsers,
  sideColour,
  yjsServerUrl,
  type AwarenessUser,
  type ConnectionState,
  type PresentUser,
  rightsNotice,
  type RightsNotice,
} from '../collab';
import { useI18n, type TFunction } from '../i18n';
import type { AccordDocument } from '../types';
import { useDocumentComments, type DocumentComments } from '../comments/useDocumentComments';
import { CommentComposer, CommentsPanel } from './CommentsPanel';

interface Session {
  ydoc: Y.Doc;
  provider: WebsocketProvider;
}

/** One Y.Doc + WebsocketProvider per document, for the lifetime of the component. */
function useSession(documentId: string) {
  const [session, setSession] = useState<Session | null>(null);
  const [synced, setSynced] = useState(false);
  const [conn, setConn] = useState<ConnectionState>('reconnecting');
  // What the server said about this connection's rights since it opened.
  const [notice, setNotice] = useState<RightsNotice | null>(null);

  useEffect(() => {
    const ydoc = new Y.Doc();
    // Unmodified y-websocket; the session cookie authenticates the upgrade. No BroadcastChannel:
    // every update goes through the server, which enforces who may write.
    const provider = new WebsocketProvider(yjsServerUrl(window.location), documentId, ydoc, { disableBc: true });
    let status: 'connected' | 'connecting' | 'disconnected' = 'connecting';
    const update = () => setConn(connectionState(status, navigator.onLine, provider.wsUnsuccessfulReconnects));
    const onStatus = (e: { status: 'connected' | 'connecting' | 'disconnected' }) => {
      status = e.status;
      // A slowed-down sender is welcome back once reconnected.
      if (e.status === 'connected') setNotice((n) => (n?.code === 'rate_limited' ? null : n));
      update();
    };
    const onSync = (s: boolean) => {
      if (s) setSynced(true);
    };
    // The server turns a connection read-only with y-protocols' "permission denied" message
    // (y-websocket only logs it), and closes it with 1008 when the right to be here ended.
    provider.messageHandlers[2] = (_encoder: unknown, decoder: decoding.Decoder) => {
      authProtocol.readAuthMessage(decoder, ydoc, (_doc, reason) => setNotice(rightsNotice(reason)));
    };
    const onClose = (ev: CloseEvent | null) => {
      update();
      if (ev?.code === 1008 || ev?.code === 1009) {
        const n = rightsNotice(ev.reason);
        if (n.ended) {
          setNotice(n);
          // Reconnecting would only be refused again.
          provider.disconnect();
        } else if (n.code === 'rate_limited') {
          setNotice(n);
        }
      }
    };
    provider.on('status', onStatus);
    provider.on('sync', onSync);
    provider.on('connection-close', onClose);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    setSession({ ydoc, provider });
    update();
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
      provider.off('status', onStatus);
      provider.off('sync', onSync);
      provider.off('connection-close', onClose);
      provider.destroy();
      ydoc.destroy();
      setSession(null);
      setSynced(false);
    };
  }, [documentId]);

  return { session, synced, conn, notice };
}

function usePresence(session: Session | null): PresentUser[] {
  const [list, setList] = useState<PresentUser[]>([]);
  useEffect(() => {
    if (!session) return;
    const { awareness } = session.provider;
    const refresh = () => setList(presentUsers(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID));
    awareness.on('change', refresh);
    refresh();
    return () => awareness.off('change', refresh);
  }, [session]);
  return list;
}

export function CollabEditor({ doc, userName }: { doc: AccordDocument; userName: string }) {
  const { t } = useI18n();
  const { session, synced, conn, notice } = useSession(doc.id);
  const people = usePresence(session);
  const comments = useDocumentComments(doc, t);
  // A notice from the server overrides what the page was loaded with.
  const canEdit = notice ? notice.canEdit : doc.can_edit;
  const current = { ...doc, can_edit: canEdit };

  return (
    <div className="doc-layout">
      <div className="doc-main">
        {notice ? (
          <p className="notice" role="alert" data-testid="rights-notice">
            {t(`rights.${notice.code}`)}
          </p>
        ) : (
          <ConnectionIndicator state={conn} canEdit={canEdit} t={t} />
        )}
        {session && synced ? (
          <RichText key={`${session.ydoc.guid}:${canEdit}`} session={session} doc={current} userName={userName} comments={comments} />
        ) : (
          <p className="editor-loading">{t('doc.loadingText')}</p>
        )}
        <CommentComposer c={comments} />
      </div>
      <aside className="doc-side" aria-labelledby="editing-now-heading">
        <h2 id="editing-now-heading">{t('doc.editingNow')}</h2>
        {notice?.ended ? (
          // The socket is closed for good: the list would only show oneself, and "nobody else" may be wrong.
          <p className="muted" data-testid="editing-now-unknown">
            {t('doc.presenceUnknown')}
          </p>
        ) : (
          <EditingNow people={people} t={t} />
        )}
      </aside>
      <CommentsPanel c={comments} />
    </div>
  );
}

function ConnectionIndicator({ state, canEdit, t }: { state: ConnectionState; canEdit: boolean; t: TFunction }) {
  return (
    <div className={`conn conn--${state}`} data-testid="connection" data-state={state}>
      <span className="conn-dot" aria-hidden="true" />
      <p role="status" aria-live="polite" aria-atomic="true">
        <span className="visually-hidden">{t('doc.connection')}: </span>
        {t(`conn.${state}`)}
        {state !== 'connected' && canEdit && <span className="conn-hint"> {t('conn.pending')}</span>}
      </p>
    </div>
  );
}

function EditingNow({ people, t }: { people: PresentUser[]; t: TFunction }) {
  return (
    <>
      <ul className="editing-now" data-testid="editing-now">
        {people.map((p) => (
          <li key={`${p.side}:${p.name}`} data-side={p.side} style={{ borderLeftColor: p.color }}>
            <span className="editing-name">{p.name}</span> {p.self && <span className="muted">{t('doc.you')}</span>}
            <span className="editing-meta">
              <SideBadge side={p.side}>{t(`side.${p.side}`)}</SideBadge>
              {p.readOnly && <span className="muted"> ({t('doc.viewing')})</span>}
            </span>
          </li>
        ))}
      </ul>
      {people.filter((p) => !p.self).length === 0 && <p className="muted">{t('doc.nobody')}</p>}
    </>
  );
}

/** The caret of another participant: a coloured bar with their name. Colour comes from the side, never raw input. */
function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = sideColour(user.side);
  const caret = document.createElement('span');
  caret.className = 'collab-caret';
  caret.style.borderColor = color;
  caret.setAttribute('aria-hidden', 'true');
  const label = document.createElement('span');
  label.className = 'collab-caret__label';
  label.style.backgroundColor = color;
  label.textContent = typeof user.name === 'string' ? user.name.slice(0, 80) : '?';
  caret.append(label);
  return caret;
}

function renderSelection(user: Record<string, unknown>) {
  return { nodeName: 'span', class: 'collab-selection', style: `background-color: ${sideColour(user.side)}33` };
}

function RichText({
  session,
  doc,
  userName,
  comments,
}: {
  session: Session;
  doc: AccordDocument;
  userName: string;
  comments: Pick<DocumentComments, 'extension' | 'setEditor'>;
}) {
  const { t } = useI18n();
  const canEdit = doc.can_edit;
  const [linkOpen, setLinkOpen] = useState(false);
  const openLink = useRef<() => void>(() => {});
  openLink.current = () => setLinkOpen(true);
  const hintId = `editor-hint-${doc.id}`;
  const toolbarRef = useRef<HTMLDivElement>(null);

  const me: AwarenessUser = { name: userName, color: sideColour(doc.my_side), side: doc.my_side };
  if (!canEdit) me.readOnly = true;

  const editor = useEditor(
    {
      editable: canEdit,
      extensions: [
        StarterKit.configure({
          // Collaboration brings its own (Yjs) undo that only undoes one's own changes.
          undoRedo: false,
          heading: { levels: [1, 2, 3] },
          // Only what the toolbar offers and the server renders to Markdown/HTML.
          link: false,
          blockquote: false,
          code: false,
          codeBlock: false,
          horizontalRule: false,
          strike: false,
          underline: false,
        }),
        Link.configure({
          openOnClick: !canEdit,
          autolink: true,
          defaultProtocol: 'https',
          HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: null },
        }),
        Collaboration.configure({ document: session.ydoc, field: 'default' }),
        CollaborationCaret.configure({
          provider: session.provider,
          user: me,
          render: renderCaret,
          selectionRender: renderSelection,
        }),
        comments.extension,
      ],
      editorProps: {
        attributes: editorAttributes(t, doc, hintId),
        handleKeyDown: (_view, event) => {
          // Tab indents inside lists; Escape always leads out of the text, to the toolbar.
          if (canEdit && event.key === 'Escape' && !event.ctrlKey && !event.metaKey && !event.altKey) {
            const button = toolbarRef.current?.querySelector<HTMLButtonElement>('button[tabindex="0"]');
            if (button) {
              event.preventDefault();
              button.focus();
              return true;
            }
          }
          if (canEdit && (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
            event.preventDefault();
            openLink.current();
            return true;
          }
          return false;
        },
      },
    },
    [session, canEdit],
  );

  const { setEditor } = comments;
  useEffect(() => {
    setEditor(editor);
    return () => setEditor(null);
  }, [editor, setEditor]);

  // Keep the accessible name in the current language.
  useEffect(() => {
    if (!editor || editor.isDestroyed) return;
    editor.setOptions({ editorProps: { ...editor.options.editorProps, attributes: editorAttributes(t, doc, hintId) } });
  }, [editor, t, doc, hintId]);

  return (
    <div className="editor">
      {canEdit && editor && <Toolbar editor={editor} t={t} onLink={() => setLinkOpen(true)} containerRef={toolbarRef} />}
      {canEdit && (
        <p id={hintId} className="hint editor-hint">
          {t('doc.shortcuts')}
        </p>
      )}
      <EditorContent editor={editor} className="editor-frame" data-testid="editor" />
      {editor && linkOpen && <LinkDialog editor={editor} t={t} onClose={() => setLinkOpen(false)} />}
    </div>
  );
}

function editorAttributes(t: TFunction, doc: AccordDocument, hintId: string): Record<string, string> {
  const attrs: Record<string, string> = {
    'aria-label': t('doc.editorLabel', { title: doc.title }),
    role: 'textbox',
    'aria-multiline': 'true',
    id: 'editor-content',
    class: 'editor-content',
    spellcheck: 'true',
  };
  if (doc.can_edit) attrs['aria-describedby'] = hintId;
  else attrs['aria-readonly'] = 'true';
  return attrs;
}

type ToolButton = {
  key: string;
  label: string;
  pressed?: boolean;
  disabled?: boolean;
  text: ReactNode;
  run: () => void;
};

// An SVG rather than an emoji: not every system has an emoji font.
const LINK_ICON = (
  <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.25" strokeLinecap="round" strokeLinejoin="round" focusable="false">
    <path d="M10 13a5 5 0 0 0 7.07 0l3-3a5 5 0 0 0-7.07-7.07l-1.5 1.5" />
    <path d="M14 11a5 5 0 0 0-7.07 0l-3 3a5 5 0 0 0 7.07 7.07l1.5-1.5" />
  </svg>
);

function Toolbar({
  editor,
  t,
  onLink,
  containerRef,
}: {
  editor: Editor;
  t: TFunction;
  onLink: () => void;
  containerRef: RefObject<HTMLDivElement | null>;
}) {
  const state = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      paragraph: e.isActive('paragraph'),
      h1: e.isActive('heading', { level: 1 }),
      h2: e.isActive('heading', { level: 2 }),
      h3: e.isActive('heading', { level: 3 }),
      bullet: e.isActive('bulletList'),
      ordered: e.isActive('orderedList'),
      bold: e.isActive('bold'),
      italic: e.isActive('italic'),
      link: e.isActive('link'),
      canUndo: e.can().undo(),
      canRedo: e.can().redo(),
    }),
  });
  const c = () => editor.chain().focus();
  const groups: ToolButton[][] = [
    [
      { key: 'p', label: t('doc.paragraph'), text: '¶', pressed: state.paragraph, run: () => c().setParagraph().run() },
      ...([1, 2, 3] as const).map((level) => ({
        key: `h${level}`,
        label: t('doc.heading', { level }),
        text: `H${level}`,
        pressed: state[`h${level}`],
        run: () => c().toggleHeading({ level }).run(),
      })),
    ],
    [
      { key: 'ul', label: t('doc.bulletList'), text: '•≡', pressed: state.bullet, run: () => c().toggleBulletList().run() },
      { key: 'ol', label: t('doc.orderedList'), text: '1.≡', pressed: state.ordered, run: () => c().toggleOrderedList().run() },
    ],
    [
      { key: 'b', label: t('doc.bold'), text: 'B', pressed: state.bold, run: () => c().toggleBold().run() },
      { key: 'i', label: t('doc.italic'), text: 'I', pressed: state.italic, run: () => c().toggleItalic().run() },
      { key: 'a', label: t('doc.link'), text: LINK_ICON, pressed: state.link, run: onLink },
    ],
    [
      { key: 'undo', label: t('doc.undo'), text: '↶', disabled: !state.canUndo, run: () => c().undo().run() },
      { key: 'redo', label: t('doc.redo'), text: '↷', disabled: !state.canRedo, run: () => c().redo().run() },
    ],
  ];
  const flat = groups.flat();
  const [active, setActive] = useState(0);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const n = flat.length;
      let next = -1;
      if (e.key === 'ArrowRight') next = (active + 1) % n;
      else if (e.key === 'ArrowLeft') next = (active - 1 + n) % n;
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = n - 1;
      if (next < 0) return;
      e.preventDefault();
      setActive(next);
      refs.current[next]?.focus();
    },
    [active, flat.length],
  );

  let i = -1;
  return (
    <div ref={containerRef} role="toolbar" aria-label={t('doc.toolbar')} aria-controls="editor-content" className="toolbar" onKeyDown={onKeyDown}>
      {groups.map((g, gi) => (
        <div key={gi} className="toolbar-group" role="group">
          {g.map((b) => {
            const idx = ++i;
            return (
              <button
                key={b.key}
                ref={(el) => {
                  refs.current[idx] = el;
                }}
                type="button"
                tabIndex={idx === active ? 0 : -1}
                aria-label={b.label}
                title={b.label}
                aria-pressed={b.pressed === undefined ? undefined : b.pressed}
                aria-disabled={b.disabled || undefined}
                data-tool={b.key}
                onFocus={() => setActive(idx)}
                onMouseDown={(e) => e.preventDefault() /* keep the editor's selection */}
                onClick={() => {
                  if (!b.disabled) b.run();
                }}
              >
                <span aria-hidden="true" className={`tool-icon tool-icon--${b.key}`}>
                  {b.text}
                </span>
              </button>
            );
          })}
        </div>
      ))}
    </div>
  );
}

/** Modal dialog for a link's URL: focus is trapped by <dialog>, Escape cancels, focus returns to the editor. */
function LinkDialog({ editor, t, onClose }: { editor: Editor; t: TFunction; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const current = (editor.getAttributes('link').href as string | undefined) ?? '';
  const [value, setValue] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const id = 'link-url';

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  const close = () => {
    ref.current?.close();
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!value.trim()) {
      editor.chain().focus().extendMarkRange('link').unsetLink().run();
      close();
      return;
    }
    const href = normaliseLink(value);
    if (!href) {
      setError(t('doc.linkInvalid'));
      return;
    }
    const chain = editor.chain().focus().extendMarkRange('link');
    if (editor.state.selection.empty && !editor.isActive('link')) {
      chain.insertContent({ type: 'text', text: value.trim(), marks: [{ type: 'link', attrs: { href } }] }).run();
    } else {
      chain.setLink({ href }).run();
    }
    close();
  }

  return (
    <dialog
      ref={ref}
      className="link-dialog"
      aria-labelledby="link-dialog-title"
      onClose={() => {
        onClose();
        editor.commands.focus();
      }}
    >
      <form onSubmit={onSubmit} noValidate>
        <h2 id="link-dialog-title">{t('doc.linkDialog')}</h2>
        <div className={`field${error ? ' field--invalid' : ''}`}>
          <label htmlFor={id}>{t('doc.linkUrl')}</label>
          <p id={`${id}-hint`} className="hint">
            {t('doc.linkHint')}
          </p>
          <input
            id={id}
            type="url"
            inputMode="url"
            autoFocus
            value={value}
            onChange={(e) => {
              setValue(e.target.value);
              setError(null);
            }}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
          />
          {error && (
            <p id={`${id}-error`} className="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            {t('doc.linkApply')}
          </button>
          {current && (
            <button
              type="button"
              onClick={() => {
                editor.chain().focus().extendMarkRange('link').unsetLink().run();
                close();
              }}
            >
              {t('doc.linkRemove')}
            </button>
          )}
          <button type="button" onClick={close}>
            {t('doc.linkCancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
