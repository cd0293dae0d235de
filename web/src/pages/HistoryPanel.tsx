/**
 * A document's history beside its editor: its versions (named ones first, automatic ones folded),
 * "Save version", comparing any two versions or a version and now, viewing one, and restoring one
 * as a new change (nothing written since is lost: the server saves the text before it first).
 *
 * `HistoryLayout` wraps the editor: on wide screens the history panel stands beside it and a
 * comparison or a version opens below the editor; on narrow screens all three stack.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import { CURRENT, diffPath, errorMessage, EXPORT_FORMATS, getDiff, getVersion, listVersions, restoreVersion, saveVersion, versionExportUrl } from '../api';
import { AgreementBadge, OpenAgreementNotice } from '../agreements/AgreedBits';
import { VersionAgreements } from '../agreements/AgreementPanel';
import { useAgreements } from '../agreements/useAgreements';
import { useAuth } from '../auth';
import { Alert, SelectField, SideBadge, TextAreaField, TextField, focusFirstInvalid } from '../components';
import { useFormState } from '../forms';
import { useI18n, type TFunction } from '../i18n';
import { can, type AccordDocument, type Action, type Agreement, type DocDiff, type RestoreResult, type Version, type VersionWithText } from '../types';
import { useLocation } from '../router';
import { DocumentPollsProvider, VersionPolls } from '../subjects/DocumentPolls';
import { DiffView } from './DiffView';
import { defaultFrom, groupVersions, versionLabel } from './history';

/** Automatic versions appear when the text has rested, and others save versions: look again now and then. */
const REFRESH_MS = 30_000;

/** What is open below the editor; `seq` counts openings, so asking again reloads and refocuses. */
type View = ({ kind: 'version'; id: string } | { kind: 'diff'; from: string; to: string }) & { seq: number };
type ViewRequest = { kind: 'version'; id: string } | { kind: 'diff'; from: string; to: string };

export interface HistoryLayoutProps {
  doc: AccordDocument;
  /** The caller's `my_actions` in the document's roundtable (save_versions, restore_versions). */
  actions: readonly Action[];
  /** The editor. */
  children: ReactNode;
}

export function HistoryLayout({ doc, actions: givenActions, children }: HistoryLayoutProps) {
  const { t } = useI18n();
  const { user } = useAuth();
  // Agreements on this document's versions, live; the socket also says when the caller's role changes.
  const room = useAgreements(doc.roundtable_id, t, { documentId: doc.id });
  const actions = room.actions ?? givenActions;
  const tRef = useRef(t);
  tRef.current = t;
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [view, setView] = useState<View | null>(null);
  const [restoring, setRestoring] = useState<Version | null>(null);
  const [status, setStatus] = useState('');
  const returnFocus = useRef<HTMLElement | null>(null);
  const dialogReturn = useRef<HTMLElement | null>(null);
  const seq = useRef(0);
  const historyHeading = useRef<HTMLHeadingElement>(null);
  const reviewRef = useRef<HTMLElement>(null);
  const mine = { my_actions: actions };
  const canSave = can(mine, 'save_versions');
  // An archived document's text cannot change, so there is nothing to restore it into.
  const canRestore = can(mine, 'restore_versions') && !doc.archived;

  const load = useCallback(async () => {
    try {
      setVersions(await listVersions(doc.id));
      setLoadError(null);
    } catch (e) {
      setLoadError(`${tRef.current('history.loadFailed')} ${errorMessage(e, tRef.current)}`);
      setVersions((v) => v ?? []);
    }
  }, [doc.id]);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => {
      if (!document.hidden) void load();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  const announce = (msg: string) => setStatus((prev) => (prev === msg ? `${msg}\u00a0` : msg));

  /** Where focus goes back to when a view or the dialog closes: the button that opened it (not one inside the view it replaces). */
  const remember = () => {
    const el = document.activeElement;
    if (el instanceof HTMLElement && !reviewRef.current?.contains(el)) returnFocus.current = el;
  };
  const restoreFocus = () => {
    const el = returnFocus.current;
    if (el?.isConnected) el.focus();
    else historyHeading.current?.focus();
  };

  const open = (v: ViewRequest) => {
    remember();
    setView({ ...v, seq: ++seq.current });
  };
  const askRestore = (v: Version) => {
    dialogReturn.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setRestoring(v);
  };
  // A link to a version (`/documents/<id>?version=<id>`, from a poll that decides it) opens it here.
  const wanted = useLocation().search.get('version');
  useEffect(() => {
    if (wanted) open({ kind: 'version', id: wanted });
    // Only when the link changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wanted]);
  /** Closing the view forgets the link's version, so following the same link again opens it again. */
  const forgetWanted = () => {
    if (!wanted) return;
    const url = new URL(window.location.href);
    url.searchParams.delete('version');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  };

  const label = (id: string) => {
    const v = versions?.find((x) => x.id === id);
    return id === CURRENT ? t('history.nowLower') : v ? versionLabel(v, t) : '…';
  };

  function onSaved(v: Version) {
    setVersions((list) => [v, ...(list ?? []).filter((x) => x.id !== v.id)]);
    announce(t('history.saved', { label: versionLabel(v, t) }));
    void load();
  }

  function onRestoreClosed(result: RestoreResult | null) {
    const from = restoring;
    setRestoring(null);
    if (result && from) {
      announce(t('history.restored', { number: from.number, restored: result.restored.number, before: result.before.number }));
      void load();
    }
    if (dialogReturn.current?.isConnected) dialogReturn.current.focus();
    else restoreFocus();
  }

  return (
    <DocumentPollsProvider roundtableId={doc.roundtable_id} actions={actions}>
      <div className="doc-review">
        <div className="doc-review__editor">{children}</div>
        <aside className="history" aria-labelledby="history-heading" data-testid="history">
          <h2 id="history-heading" ref={historyHeading} tabIndex={-1}>
            {t('history.heading')}
          </h2>
          <p role="status" className="history-status" data-testid="history-status">
            {status}
          </p>
          <p role="status" className="visually-hidden" data-testid="agreement-announcer">
            {room.announcement}
          </p>
          <Alert message={loadError} />
          <OpenAgreementNotice
            agreements={room.agreements}
            documentId={doc.id}
            userId={user?.id}
            actions={actions}
            onOpen={(a) => open({ kind: 'version', id: a.version_id })}
          />
          {canSave && <SaveVersionForm documentId={doc.id} onSaved={onSaved} />}
          {versions === null ? (
            <p>{t('common.loading')}</p>
          ) : loadError && versions.length === 0 ? null : (
            <VersionsPart
              versions={versions}
              agreements={room.agreements ?? []}
              canRestore={canRestore}
              onView={(v) => open({ kind: 'version', id: v.id })}
              onCompare={(from, to) => open({ kind: 'diff', from, to })}
              onRestore={askRestore}
            />
          )}
        </aside>
        {view && (
          <section ref={reviewRef} className="review-view" aria-labelledby="review-heading" data-testid="review-view">
            {view.kind === 'diff' ? (
              <DiffPanel
                key={view.seq}
                documentId={doc.id}
                from={view.from}
                to={view.to}
                title={t('history.diffHeading', { from: label(view.from), to: label(view.to) })}
                onClose={() => {
                  setView(null);
                  restoreFocus();
                }}
              />
            ) : (
              <VersionPanel
                key={view.seq}
                versionId={view.id}
                title={label(view.id)}
                canRestore={canRestore}
                agreements={(v) => (
                  <>
                    {/* The version itself (not the agreement) gives the hash a position sends, so an
                        agreement on other text is caught by the server. */}
                    <VersionAgreements
                      version={v}
                      agreements={room.agreements}
                      loadError={room.loadError}
                      userId={user?.id}
                      actions={actions}
                      onChange={room.apply}
                      announce={room.announce}
                    />
                    {/* Polls that name this version (an indicative vote before the formal agreement). */}
                    <VersionPolls version={v} documentTitle={doc.title} />
                  </>
                )}
                onCompare={(id) => open({ kind: 'diff', from: id, to: CURRENT })}
                onRestore={askRestore}
                onClose={() => {
                  setView(null);
                  forgetWanted();
                  restoreFocus();
                }}
              />
            )}
          </section>
        )}
        {restoring && <RestoreDialog version={restoring} onClose={onRestoreClosed} />}
      </div>
    </DocumentPollsProvider>
  );
}

function VersionsPart({
  versions,
  agreements,
  canRestore,
  onView,
  onCompare,
  onRestore,
}: {
  versions: Version[];
  agreements: Agreement[];
  canRestore: boolean;
  onView: (v: Version) => void;
  onCompare: (from: string, to: string) => void;
  onRestore: (v: Version) => void;
}) {
  const { t } = useI18n();
  const { named, auto } = groupVersions(versions);
  const list = (vs: Version[], labelledBy?: string) => (
    <ol className="versions" aria-labelledby={labelledBy}>
      {vs.map((v) => (
        <VersionItem key={v.id} version={v} agreements={agreements} canRestore={canRestore} onView={onView} onCompare={onCompare} onRestore={onRestore} />
      ))}
    </ol>
  );
  return (
    <>
      <CompareForm versions={versions} onCompare={onCompare} />
      <h3 id="named-versions-heading">{t('history.named')}</h3>
      {named.length === 0 ? (
        <p className="muted">{auto.length === 0 ? t('history.empty') : t('history.emptyNamed')}</p>
      ) : (
        list(named, 'named-versions-heading')
      )}
      {auto.length > 0 && (
        <details className="auto-versions" data-testid="auto-versions">
          <summary>{t('history.auto', { count: auto.length })}</summary>
          <p className="hint">{t('history.autoHint')}</p>
          {list(auto)}
        </details>
      )}
    </>
  );
}

/** Who saved a version (name, and the side as a coloured chip with its name), when, and how long it is. */
function VersionMeta({ version: v }: { version: Version }) {
  const { t, lang, formatDate } = useI18n();
  const words = new Intl.NumberFormat(lang === 'da' ? 'da-DK' : 'en-GB').format(v.words);
  return (
    <p className="version-meta">
      {v.created_by ? (
        <span className="version-author">
          <span className="visually-hidden">{t('history.by')}: </span>
          {v.created_by.display_name} <SideBadge side={v.created_by.side}>{t(`side.${v.created_by.side}`)}</SideBadge>
        </span>
      ) : (
        <span className="version-author">{t('history.byServer')}</span>
      )}
      <span>
        <span className="visually-hidden">{t('history.savedAt')}: </span>
        <time dateTime={v.created_at}>{formatDate(v.created_at)}</time>
      </span>
      <span>{v.words === 1 ? t('history.word', { count: words }) : t('history.words', { count: words })}</span>
    </p>
  );
}

function VersionItem({
  version: v,
  agreements,
  canRestore,
  onView,
  onCompare,
  onRestore,
}: {
  version: Version;
  agreements: Agreement[];
  canRestore: boolean;
  onView: (v: Version) => void;
  onCompare: (from: string, to: string) => void;
  onRestore: (v: Version) => void;
}) {
  const { t } = useI18n();
  const n = t('history.versionNumber', { number: v.number });
  return (
    <li className={`version version--${v.created_by?.side ?? 'auto'}`} data-testid="version" data-number={v.number}>
      <p className="version-title">
        <strong>{n}</strong> <span className="version-name">{v.name.trim() || t('history.autoName')}</span>
      </p>
      <AgreementBadge agreements={agreements} versionId={v.id} />
      <VersionMeta version={v} />
      {v.note && <p className="version-note">{v.note}</p>}
      <div className="version-actions">
        <button type="button" onClick={() => onView(v)}>
          {t('history.view')}
          <span className="visually-hidden"> {n}</span>
        </button>
        <button type="button" onClick={() => onCompare(v.id, CURRENT)}>
          {t('history.compareNow')}
          <span className="visually-hidden"> ({n})</span>
        </button>
        {canRestore && (
          <button type="button" onClick={() => onRestore(v)}>
            {t('history.restore')}
            <span className="visually-hidden"> {n}</span>
          </button>
        )}
      </div>
    </li>
  );
}

function SaveVersionForm({ documentId, onSaved }: { documentId: string; onSaved: (v: Version) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [note, setNote] = useState('');
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);
  const headingId = useId();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    if (!form.validate(name.trim() ? {} : { name: t('validation.required') })) return focusFirstInvalid(formRef.current);
    const saved: { version?: Version } = {};
    const ok = await form.run(async () => {
      saved.version = await saveVersion(documentId, note.trim() ? { name: name.trim(), note: note.trim() } : { name: name.trim() });
    });
    if (ok && saved.version) {
      setName('');
      setNote('');
      onSaved(saved.version);
    } else {
      focusFirstInvalid(formRef.current);
    }
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className="history-form" aria-labelledby={headingId} data-testid="save-version">
      <h3 id={headingId}>{t('history.saveHeading')}</h3>
      <Alert message={form.formError} />
      <TextField
        label={t('history.name')}
        hint={t('history.nameHint')}
        name="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={form.fieldErrors.name}
        required
        autoComplete="off"
      />
      <TextAreaField label={t('history.note')} name="note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} error={form.fieldErrors.note} />
      <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
        {t('history.save')}
      </button>
    </form>
  );
}

function VersionOptions({ versions, t }: { versions: Version[]; t: TFunction }) {
  const { named, auto } = groupVersions(versions);
  return (
    <>
      {named.length > 0 && (
        <optgroup label={t('history.named')}>
          {named.map((v) => (
            <option key={v.id} value={v.id}>
              {versionLabel(v, t)}
            </option>
          ))}
        </optgroup>
      )}
      {auto.length > 0 && (
        <optgroup label={t('history.autoGroup')}>
          {auto.map((v) => (
            <option key={v.id} value={v.id}>
              {versionLabel(v, t)}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

/** Pick any two versions, or a version and the text as it is now. */
function CompareForm({ versions, onCompare }: { versions: Version[]; onCompare: (from: string, to: string) => void }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(() => defaultFrom(versions));
  const [to, setTo] = useState<string>(CURRENT);
  const headingId = useId();

  // Keep the choices valid as the list changes (the first version arrives, a refresh).
  useEffect(() => {
    if (!versions.some((v) => v.id === from)) setFrom(defaultFrom(versions));
    if (to !== CURRENT && !versions.some((v) => v.id === to)) setTo(CURRENT);
  }, [versions, from, to]);

  if (versions.length === 0) {
    return (
      <>
        <h3 id={headingId}>{t('history.compareHeading')}</h3>
        <p className="muted">{t('history.needVersion')}</p>
      </>
    );
  }
  return (
    <form
      className="history-form compare-form"
      aria-labelledby={headingId}
      data-testid="compare"
      onSubmit={(e) => {
        e.preventDefault();
        if (from) onCompare(from, to);
      }}
    >
      <h3 id={headingId}>{t('history.compareHeading')}</h3>
      <p className="hint">{t('history.compareHint')}</p>
      <div className="compare-fields">
        <SelectField label={t('history.from')} name="from" value={from} onChange={(e) => setFrom(e.target.value)}>
          <VersionOptions versions={versions} t={t} />
        </SelectField>
        <SelectField label={t('history.to')} name="to" value={to} onChange={(e) => setTo(e.target.value)}>
          <option value={CURRENT}>{t('history.now')}</option>
          <VersionOptions versions={versions} t={t} />
        </SelectField>
      </div>
      <button type="submit">{t('history.compare')}</button>
    </form>
  );
}

/** The heading of an opened view takes focus, so that a screen reader says what opened. */
function ReviewHeading({ title, headingRef }: { title: string; headingRef: RefObject<HTMLHeadingElement | null> }) {
  useEffect(() => {
    headingRef.current?.focus();
    headingRef.current?.scrollIntoView({ block: 'nearest' });
  }, [headingRef]);
  return (
    <h2 id="review-heading" ref={headingRef} tabIndex={-1}>
      {title}
    </h2>
  );
}

function DiffPanel({ documentId, from, to, title, onClose }: { documentId: string; from: string; to: string; title: string; onClose: () => void }) {
  const { t } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  const heading = useRef<HTMLHeadingElement>(null);
  const [diff, setDiff] = useState<DocDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    getDiff(documentId, from, to)
      .then((d) => !cancelled && setDiff(d))
      .catch((e) => !cancelled && setError(`${tRef.current('history.diffFailed')} ${errorMessage(e, tRef.current)}`));
    return () => {
      cancelled = true;
    };
  }, [documentId, from, to, round]);

  return (
    <>
      <div className="review-head">
        <ReviewHeading title={title} headingRef={heading} />
        <div className="actions">
          {to === CURRENT && (
            <button type="button" onClick={() => setRound((r) => r + 1)}>
              {t('history.refresh')}
            </button>
          )}
          <a href={`/api/v1${diffPath(documentId, from, to, 'html')}`} download>
            {t('history.downloadDiff')}
          </a>
          <button type="button" onClick={onClose}>
            {t('history.close')}
          </button>
        </div>
      </div>
      <Alert message={error} />
      {diff ? <DiffView diff={diff} /> : !error && <p>{t('common.loading')}</p>}
    </>
  );
}

function VersionPanel({
  versionId,
  title,
  canRestore,
  agreements,
  onCompare,
  onRestore,
  onClose,
}: {
  versionId: string;
  title: string;
  canRestore: boolean;
  /** The agreement part, drawn once the version is loaded. */
  agreements: (version: VersionWithText) => ReactNode;
  onCompare: (id: string) => void;
  onRestore: (v: Version) => void;
  onClose: () => void;
}) {
  const { t, lang } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  const heading = useRef<HTMLHeadingElement>(null);
  const [version, setVersion] = useState<VersionWithText | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getVersion(versionId)
      .then((v) => !cancelled && setVersion(v))
      .catch((e) => !cancelled && setError(`${tRef.current('history.versionFailed')} ${errorMessage(e, tRef.current)}`));
    return () => {
      cancelled = true;
    };
  }, [versionId]);

  return (
    <>
      <div className="review-head">
        <ReviewHeading title={version ? versionLabel(version, t) : title} headingRef={heading} />
        <div className="actions">
          <button type="button" onClick={() => onCompare(versionId)}>
            {t('history.compareNow')}
          </button>
          {canRestore && version && (
            <button type="button" onClick={() => onRestore(version)}>
              {t('history.restore')}
            </button>
          )}
          {version && (
            <span className="downloads" role="group" aria-label={t('history.downloadVersion', { number: version.number })}>
              {EXPORT_FORMATS.map((f) => (
                <a key={f} href={versionExportUrl(versionId, f, lang)} download data-format={f}>
                  {t(`agreed.format.${f}`)}
                </a>
              ))}
            </span>
          )}
          <button type="button" onClick={onClose}>
            {t('history.close')}
          </button>
        </div>
      </div>
      <Alert message={error} />
      {version ? (
        <>
          <VersionMeta version={version} />
          {version.note && <p className="version-note">{version.note}</p>}
          {agreements(version)}
          {/* The server renders this HTML from the document tree and escapes every text in it (as it does
              for GET /documents/{id}/html): that, and only that, makes dangerouslySetInnerHTML safe here. */}
          <div className="version-text" data-testid="version-text" dangerouslySetInnerHTML={{ __html: version.html }} />
        </>
      ) : (
        !error && <p>{t('common.loading')}</p>
      )}
    </>
  );
}

/**
 * Confirms a restore and says what happens to later work. A modal <dialog>: focus moves in (to
 * Cancel), stays in, Escape closes it; `onClose` gets the result (null when cancelled) and the
 * caller puts focus back where it was.
 */
function RestoreDialog({ version, onClose }: { version: Version; onClose: (result: RestoreResult | null) => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const result = useRef<RestoreResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    cancelRef.current?.focus();
  }, []);

  async function confirm() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      result.current = await restoreVersion(version.id);
      ref.current?.close();
    } catch (e) {
      setError(errorMessage(e, t));
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={ref}
      className="restore-dialog"
      aria-labelledby="restore-title"
      aria-describedby="restore-body"
      data-testid="restore-dialog"
      onCancel={(e) => {
        // Escape while the restore is on its way would hide its outcome.
        if (busy) e.preventDefault();
      }}
      onClose={() => onClose(result.current)}
    >
      <h2 id="restore-title">{t('history.restoreTitle', { number: version.number })}</h2>
      <p id="restore-body">{t('history.restoreBody', { number: version.number })}</p>
      <p className="hint">{t('history.restoreLive')}</p>
      <Alert message={error} />
      <div className="actions">
        <button type="button" className="primary" onClick={confirm} aria-disabled={busy || undefined}>
          {t('history.restoreConfirm', { number: version.number })}
        </button>
        <button type="button" ref={cancelRef} onClick={() => ref.current?.close()}>
          {t('history.cancel')}
        </button>
      </div>
    </dialog>
  );
}

