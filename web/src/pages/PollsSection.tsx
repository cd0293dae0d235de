/**
 * Polls, live session, presence and Q&A moderation on the roundtable page. Polls list in agenda
 * order (the facilitator's, the presenter's too): facilitators reorder them by drag or with the
 * move up / move down buttons, edit and delete drafts, and duplicate open and closed polls.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { Alert, SelectField, SideBadge } from '../components';
import { useFormState } from '../forms';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { can, SIDES, type Action, type Roundtable } from '../types';
import { formatCode, knownMinGroup, mergePoll, mergeQuestion, sortQuestions, upsertById } from '../live/logic';
import { AskForm } from '../live/AskForm';
import { BallotForm, ConnectionStatus, ResultsView, useAnnouncer } from '../live/PollViews';
import { useLiveRoom, type LiveRoom } from '../live/useLiveRoom';
import { askedBy, type LiveSession, type Poll, type PollTemplate, type Presence, type Question } from '../live/types';
import { pollAnchor, pollIdFromHash } from '../subjects/logic';
import { SubjectBlock } from '../subjects/SubjectBlock';
import { PollForm } from './PollForm';
import { applyOrder, dropIndex, moveBy, moveTo } from '../agenda/logic';

export function presenterPath(roundtableId: string) {
  return `/roundtables/${encodeURIComponent(roundtableId)}/present`;
}

export function PollsSection({ rt }: { rt: Roundtable }) {
  const { t } = useI18n();
  // The server may change the caller's role while the page is open (role_changed).
  const [actions, setActions] = useState<readonly Action[]>(rt.my_actions);
  const mine = { my_actions: actions };
  const isFacilitator = can(mine, 'manage_polls');
  const { announce, region } = useAnnouncer();
  const [unavailable, setUnavailable] = useState(false);
  const room = useLiveRoom(rt.id, {
    wantResults: (p) => isFacilitator || p.voted || p.status === 'closed',
    onEvent: (e) => {
      if (e.type === 'opened') announce(t('polls.announceOpened', { question: e.poll.question }), true);
      if (e.type === 'closed') announce(t('polls.announceClosed', { question: e.poll.question }), true);
      if (e.type === 'removed') setConfirming(null);
      if (e.type === 'role_changed') {
        setActions(e.actions);
        announce(t('rights.roleChanged', { role: t(`role.${e.role}`) }), true);
      }
    },
  });
  const { setPolls, setQuestions } = room;
  const [confirming, setConfirming] = useState<string | null>(null);
  const [orderError, setOrderError] = useState<string | null>(null);
  // After a move by keyboard, the moved poll's button of the same direction keeps focus.
  const [moveFocus, setMoveFocus] = useState<{ id: string; dir: 'up' | 'down' } | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);

  /** Sends a new agenda order; shows it at once, and goes back if the server refuses it. */
  async function reorder(ids: string[], moved: string, dir: 'up' | 'down' | null) {
    const before = room.polls.map((p) => p.id);
    setOrderError(null);
    setPolls((l) => applyOrder(l, ids));
    if (dir) setMoveFocus({ id: moved, dir });
    const p = room.polls.find((x) => x.id === moved);
    if (p) announce(t('polls.moved', { question: p.question, n: ids.indexOf(moved) + 1, count: ids.length }), true);
    try {
      const list = await api<Poll[]>('PUT', `/roundtables/${encodeURIComponent(rt.id)}/poll-order`, { poll_ids: ids });
      setPolls((l) => applyOrder(l, list.map((x) => x.id)));
    } catch (e) {
      setPolls((l) => applyOrder(l, before));
      setOrderError(errorMessage(e, t));
    }
  }

  // The socket brings the state, but read it over REST too: the list shows even while the socket reconnects.
  useEffect(() => {
    let cancelled = false;
    api<Poll[]>('GET', `/roundtables/${encodeURIComponent(rt.id)}/polls`)
      .then((list) => {
        if (cancelled) return;
        setPolls((known) =>
          applyOrder(
            list.reduce((acc, p) => mergePoll(acc, p), known),
            list.map((p) => p.id),
          ),
        );
        for (const p of list) if (p.status !== 'draft' && (isFacilitator || p.voted || p.status === 'closed')) void room.loadResults(p.id);
      })
      .catch((e) => {
        if (!cancelled && e instanceof ApiError && e.status === 404) setUnavailable(true);
      });
    api<Question[]>('GET', `/roundtables/${encodeURIComponent(rt.id)}/questions`)
      .then((list) => !cancelled && setQuestions((known) => list.reduce((acc, q) => mergeQuestion(acc, q), known)))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rt.id]);

  // The poll to move to: one just created here, or the one a link named (/roundtables/<id>#poll-<id>).
  const [focusPoll, setFocusPoll] = useState<{ id: string; block: ScrollLogicalPosition } | null>(null);
  const hashTarget = useRef(pollIdFromHash(window.location.hash));
  useEffect(() => {
    const id = hashTarget.current;
    if (id && room.polls.some((p) => p.id === id)) {
      hashTarget.current = null;
      setFocusPoll({ id, block: 'start' });
    }
  }, [room.polls]);
  useEffect(() => {
    const onHash = () => {
      const id = pollIdFromHash(window.location.hash);
      if (id) setFocusPoll({ id, block: 'start' });
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const polls = room.polls;
  const ended = !!room.refused && ['signed_out', 'removed'].includes(room.refused);

  return (
    <>
      <section id="polls" aria-labelledby="polls-heading" className="polls-section rt-section" data-testid="polls-section">
        <h2 id="polls-heading" tabIndex={-1}>
          {t('rt.pollsAndLive')}
        </h2>
        {region}
        {unavailable ? (
          <p className="muted">{t('polls.unavailable')}</p>
        ) : (
          <>
            {ended ? (
              <p className="notice" role="alert" data-testid="rights-notice">
                {t(`rights.${room.refused}`)}
              </p>
            ) : (
              <ConnectionStatus state={room.state} />
            )}
            {/* Once the socket is refused, who is in the room is no longer known. */}
            {!ended && <PresenceList presence={room.presence} />}
            {isFacilitator && <LiveSessionPanel roundtableId={rt.id} />}
            {isFacilitator && (
              <NewPollPanel
                roundtableId={rt.id}
                minGroup={knownMinGroup(Object.values(room.results))}
                onCreated={(p) => {
                  setPolls((l) => upsertById(l, p));
                  setFocusPoll({ id: p.id, block: 'nearest' });
                }}
              />
            )}
            <h3 id="poll-list-heading">{t('polls.listHeading')}</h3>
            {isFacilitator && polls.length > 1 && <p className="hint">{t('polls.reorderHint')}</p>}
            <Alert message={orderError} />
            {polls.length === 0 ? (
              <p className="muted">{t('polls.empty')}</p>
            ) : (
              <ul className="poll-list" aria-labelledby="poll-list-heading">
                {polls.map((p, i) => (
                  <PollCard
                    key={p.id}
                    poll={p}
                    room={room}
                    isFacilitator={isFacilitator}
                    canVote={can(mine, 'vote')}
                    focus={focusPoll?.id === p.id ? focusPoll.block : null}
                    onFocused={() => setFocusPoll(null)}
                    minGroup={knownMinGroup(Object.values(room.results))}
                    confirming={confirming === p.id}
                    setConfirming={(on) => setConfirming(on ? p.id : null)}
                    onDeleted={() => {
                      setPolls((l) => l.filter((x) => x.id !== p.id));
                      announce(t('polls.deleted', { question: p.question }), true);
                      // Focus goes to the list's heading: the card it was on is gone.
                      document.getElementById('poll-list-heading')?.focus();
                    }}
                    onDuplicated={(copy) => {
                      setPolls((l) => {
                        const ids = l.map((x) => x.id).filter((id) => id !== copy.id);
                        ids.splice(ids.indexOf(p.id) + 1, 0, copy.id);
                        return applyOrder(upsertById(l, copy), ids);
                      });
                      announce(t('polls.duplicated', { question: copy.question }), true);
                      setFocusPoll({ id: copy.id, block: 'nearest' });
                    }}
                    reorder={
                      isFacilitator && polls.length > 1
                        ? {
                            index: i,
                            count: polls.length,
                            focusDir: moveFocus?.id === p.id ? moveFocus.dir : null,
                            onFocusedMove: () => setMoveFocus(null),
                            move: (dir) => {
                              const ids = moveBy(
                                polls.map((x) => x.id),
                                p.id,
                                dir === 'up' ? -1 : 1,
                              );
                              if (ids) void reorder(ids, p.id, dir);
                            },
                            dragging: dragging === p.id,
                            // After the drag has begun: a re-render inside dragstart cancels it in Chromium.
                            onDragStart: () => window.setTimeout(() => setDragging(p.id), 0),
                            onDragEnd: () => setDragging(null),
                            onDrop: (draggedId) => {
                              const from = draggedId || dragging;
                              setDragging(null);
                              if (!from) return;
                              const ids = polls.map((x) => x.id);
                              const next = moveTo(ids, from, dropIndex(ids, from, p.id));
                              if (next) void reorder(next, from, null);
                            },
                          }
                        : null
                    }
                  />
                ))}
              </ul>
            )}
          </>
        )}
      </section>
      {/* Its own section (#questions), fed by the same live room as the polls. */}
      <QuestionsPanel
        roundtableId={rt.id}
        questions={room.questions}
        setQuestions={setQuestions}
        isFacilitator={isFacilitator}
        unavailable={unavailable}
      />
    </>
  );
}

function PresenceList({ presence }: { presence: Presence | null }) {
  const { t } = useI18n();
  const people = presence?.participants ?? [];
  return (
    <div className="presence" data-testid="presence">
      <h3>{t('presence.heading')}</h3>
      {!presence ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <div className="presence-groups">
          {SIDES.map((side) => {
            const here = people.filter((p) => p.side === side);
            return (
              <div key={side} className={`presence-group presence-group--${side}`} data-presence-side={side}>
                <h4>
                  <SideBadge side={side}>{t(`side.${side}`)}</SideBadge> <span className="muted">({here.length})</span>
                </h4>
                {here.length === 0 ? (
                  <p className="muted">{t('presence.nobody')}</p>
                ) : (
                  <ul>
                    {here.map((p) => (
                      <li key={p.user_id}>{p.display_name}</li>
                    ))}
                  </ul>
                )}
              </div>
            );
          })}
          <div className="presence-group presence-group--audience" data-presence-side="audience">
            <h4>{t('group.audience')}</h4>
            <p>{t('presence.audienceCount', { count: presence.audience ?? 0 })}</p>
          </div>
        </div>
      )}
    </div>
  );
}

function LiveSessionPanel({ roundtableId }: { roundtableId: string }) {
  const { t } = useI18n();
  const [live, setLive] = useState<LiveSession | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const path = `/roundtables/${encodeURIComponent(roundtableId)}/live`;

  useEffect(() => {
    let cancelled = false;
    api<LiveSession>('GET', path)
      .then((l) => !cancelled && setLive(l))
      .catch(() => !cancelled && setLive(null));
    return () => {
      cancelled = true;
    };
  }, [path]);

  async function start() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const l = await api<LiveSession>('POST', path);
      setLive(l);
      setStatus(t('live.started', { code: formatCode(l.join_code) }));
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  async function end() {
    if (busy || !window.confirm(t('live.confirmEnd'))) return;
    setBusy(true);
    setError(null);
    try {
      await api<void>('DELETE', path);
      setLive(null);
      setStatus(t('live.ended'));
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="panel live-panel">
      <h3>{t('live.heading')}</h3>
      <Alert message={error} />
      <p role="status" className="visually-hidden">
        {status}
      </p>
      {live === undefined ? (
        <p>{t('common.loading')}</p>
      ) : live === null ? (
        <>
          <p className="hint">{t('live.intro')}</p>
          <button type="button" className="primary" onClick={start} aria-disabled={busy || undefined}>
            {t('live.start')}
          </button>
        </>
      ) : (
        <div className="live-info">
          <dl className="meta">
            <div>
              <dt>{t('live.joinCode')}</dt>
              <dd className="join-code" data-testid="join-code">
                {formatCode(live.join_code)}
              </dd>
            </div>
            <div>
              <dt>{t('live.joinUrl')}</dt>
              <dd>
                <a href={live.join_url} data-testid="join-url">
                  {live.join_url}
                </a>
              </dd>
            </div>
          </dl>
          <QrCode svg={live.qr_svg} url={live.join_url} />
          <div className="actions">
            <Link to={presenterPath(roundtableId)} className="button">
              {t('live.presenterLink')}
            </Link>
            <button type="button" className="danger" onClick={end} aria-disabled={busy || undefined}>
              {t('live.end')}
            </button>
          </div>
        </div>
      )}
      {live === null && (
        <p>
          <Link to={presenterPath(roundtableId)}>{t('live.presenterLink')}</Link>
        </p>
      )}
    </div>
  );
}

/** The server's QR code SVG (generated by our own server, not user input), with a text alternative. */
export function QrCode({ svg, url, className = 'qr' }: { svg: string; url: string; className?: string }) {
  const { t } = useI18n();
  return (
    <div className={className} role="img" aria-label={t('live.qrAlt', { url })} dangerouslySetInnerHTML={{ __html: svg }} />
  );
}

function NewPollPanel({ roundtableId, minGroup, onCreated }: { roundtableId: string; minGroup: number; onCreated: (p: Poll) => void }) {
  const { t, lang } = useI18n();
  const [templates, setTemplates] = useState<PollTemplate[] | null>(null);
  const [template, setTemplate] = useState('');
  const tplForm = useFormState(t);
  const [status, setStatus] = useState('');

  useEffect(() => {
    let cancelled = false;
    api<PollTemplate[]>('GET', `/poll-templates?lang=${lang}`)
      .then((list) => {
        if (cancelled) return;
        setTemplates(list);
        setTemplate((cur) => cur || list[0]?.key || '');
      })
      .catch(() => !cancelled && setTemplates([]));
    return () => {
      cancelled = true;
    };
  }, [lang]);

  async function fromTemplate(e: FormEvent) {
    e.preventDefault();
    if (tplForm.busy || !template) return;
    await tplForm.run(async () => {
      const p = await api<Poll>('POST', `/roundtables/${encodeURIComponent(roundtableId)}/polls`, { template, lang });
      onCreated(p);
      setStatus(t('polls.created', { question: p.question }));
    });
  }

  return (
    <div className="panel new-poll">
      <h3 id="new-poll-heading">{t('polls.new')}</h3>
      <p role="status" className="visually-hidden">
        {status}
      </p>
      {templates && templates.length > 0 && (
        <form onSubmit={fromTemplate} noValidate className="inline-form">
          <Alert message={tplForm.formError} />
          <SelectField label={t('polls.template')} value={template} onChange={(e) => setTemplate(e.target.value)}>
            {templates.map((tp) => (
              <option key={tp.key} value={tp.key}>
                {tp.question}
              </option>
            ))}
          </SelectField>
          <button type="submit" className="primary" aria-disabled={tplForm.busy || undefined}>
            {t('polls.createFromTemplate')}
          </button>
        </form>
      )}
      <PollForm
        roundtableId={roundtableId}
        minGroup={minGroup}
        heading={t('polls.custom')}
        picker
        onCreated={(p) => {
          onCreated(p);
          setStatus(t('polls.created', { question: p.question }));
        }}
      />
    </div>
  );
}

/** How long a poll moved to by a link is kept in view while the lists above it still load. */
const SETTLE_MS = 3000;

/** Scrolls `el` into view and keeps it there while the page above it grows, until the reader acts. */
function keepInView(el: HTMLElement, block: ScrollLogicalPosition) {
  el.scrollIntoView({ block });
  if (block !== 'start' || typeof ResizeObserver === 'undefined') return;
  const started = performance.now();
  const events = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;
  const stop = () => {
    observer.disconnect();
    for (const ev of events) window.removeEventListener(ev, stop, true);
  };
  const observer = new ResizeObserver(() => {
    if (performance.now() - started > SETTLE_MS || !el.isConnected) return stop();
    el.scrollIntoView({ block });
  });
  observer.observe(document.body);
  for (const ev of events) window.addEventListener(ev, stop, { capture: true, passive: true });
  window.setTimeout(stop, SETTLE_MS);
}

function PollCard({
  poll,
  room,
  isFacilitator,
  canVote,
  focus,
  onFocused,
  minGroup,
  confirming,
  setConfirming,
  onDeleted,
  onDuplicated,
  reorder,
}: {
  poll: Poll;
  room: LiveRoom;
  isFacilitator: boolean;
  canVote: boolean;
  /** Move focus to this poll (just created, or named by the URL), scrolled to that position. */
  focus: ScrollLogicalPosition | null;
  onFocused: () => void;
  minGroup: number;
  /** The delete is being confirmed in place. */
  confirming: boolean;
  setConfirming: (on: boolean) => void;
  onDeleted: () => void;
  onDuplicated: (copy: Poll) => void;
  /** The agenda controls (facilitators, two polls or more). */
  reorder: Reorder | null;
}) {
  const { t } = useI18n();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!focus || !headingRef.current) return;
    headingRef.current.focus({ preventScroll: true });
    keepInView(headingRef.current, focus);
    onFocused();
    // Only when asked.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [changing, setChanging] = useState(false);
  const results = room.results[poll.id];
  const headingId = `poll-${poll.id}-q`;
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  const upButton = useRef<HTMLButtonElement>(null);
  const downButton = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming) keepButton.current?.focus();
    else if (wasConfirming.current && document.activeElement === document.body) deleteButton.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);
  useEffect(() => {
    if (!reorder?.focusDir) return;
    // At the top or bottom the other button is the one that still moves it.
    const up = reorder.index > 0;
    const down = reorder.index < reorder.count - 1;
    const dir = reorder.focusDir === 'up' ? (up ? 'up' : 'down') : down ? 'down' : 'up';
    (dir === 'up' ? upButton : downButton).current?.focus();
    reorder.onFocusedMove();
    // After the move has rendered.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reorder?.focusDir, reorder?.index]);

  async function remove() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api<void>('DELETE', `/polls/${encodeURIComponent(poll.id)}`);
      onDeleted();
    } catch (e) {
      setError(errorMessage(e, t));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  async function duplicate() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onDuplicated(await api<Poll>('POST', `/polls/${encodeURIComponent(poll.id)}/duplicate`));
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  async function setStatus(action: 'open' | 'close') {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const p = await api<Poll>('POST', `/polls/${encodeURIComponent(poll.id)}/${action}`);
      room.setPolls((l) => mergePoll(l, p));
      if (p.status !== 'draft') void room.loadResults(p.id);
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  const showVote = poll.status === 'open' && canVote && (!poll.voted || changing);
  const showResults = results && (isFacilitator || poll.voted || poll.status === 'closed');
  return (
    <li
      id={pollAnchor(poll.id)}
      className={`poll-card poll-card--${poll.status}${reorder?.dragging ? ' poll-card--dragging' : ''}`}
      data-testid="poll"
      data-poll-id={poll.id}
      data-status={poll.status}
      onDragOver={
        reorder
          ? (e) => {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
            }
          : undefined
      }
      onDrop={
        reorder
          ? (e) => {
              e.preventDefault();
              reorder.onDrop(e.dataTransfer.getData('text/plain'));
            }
          : undefined
      }
    >
      {reorder && (
        <div className="agenda-controls">
          <span
            className="drag-handle"
            draggable
            data-testid="drag-handle"
            title={t('polls.dragHint')}
            aria-hidden="true"
            onDragStart={(e) => {
              e.dataTransfer.effectAllowed = 'move';
              e.dataTransfer.setData('text/plain', poll.id);
              reorder.onDragStart();
            }}
            onDragEnd={reorder.onDragEnd}
          >
            ⠿
          </span>
          <span className="agenda-position">{t('polls.position', { n: reorder.index + 1, count: reorder.count })}</span>
          <button
            type="button"
            ref={upButton}
            className="icon-button"
            aria-label={t('polls.moveUp', { question: poll.question })}
            aria-disabled={reorder.index === 0 || undefined}
            onClick={() => reorder.index > 0 && reorder.move('up')}
          >
            ↑
          </button>
          <button
            type="button"
            ref={downButton}
            className="icon-button"
            aria-label={t('polls.moveDown', { question: poll.question })}
            aria-disabled={reorder.index === reorder.count - 1 || undefined}
            onClick={() => reorder.index < reorder.count - 1 && reorder.move('down')}
          >
            ↓
          </button>
        </div>
      )}
      <h4 id={headingId} ref={headingRef} tabIndex={-1}>
        {poll.question}
      </h4>
      <p className="poll-meta">
        <span className={`status status--${poll.status}`}>{t(`pollStatus.${poll.status}`)}</span>
        <span>{t(`pollKind.${poll.kind}`)}</span>
        {poll.secret && <span>{t('polls.secret')}</span>}
        {poll.audience && <span>{t('polls.audience')}</span>}
        <span>
          {t('polls.resultsVisibility')}: {t(`visibility.${poll.results}`)}
        </span>
      </p>
      {/* What the poll decides, above its options and its results. */}
      <SubjectBlock subject={poll.subject} />
      <Alert message={error} />
      {isFacilitator && (
        <div className="actions poll-actions">
          {poll.status === 'draft' && (
            <button type="button" className="primary" onClick={() => setStatus('open')} aria-disabled={busy || undefined} aria-describedby={headingId}>
              {t('polls.open')}
            </button>
          )}
          {poll.status === 'open' && (
            <button type="button" onClick={() => setStatus('close')} aria-disabled={busy || undefined} aria-describedby={headingId}>
              {t('polls.close')}
            </button>
          )}
          {poll.status === 'draft' && !editing && (
            <button type="button" ref={editButton} onClick={() => setEditing(true)} aria-describedby={headingId}>
              {t('polls.edit')}
            </button>
          )}
          {poll.status === 'draft' && !confirming && (
            <button type="button" ref={deleteButton} className="danger" onClick={() => setConfirming(true)} aria-describedby={headingId}>
              {t('polls.delete')}
            </button>
          )}
          {poll.status !== 'draft' && (
            <button type="button" onClick={duplicate} aria-disabled={busy || undefined} aria-describedby={headingId}>
              {t('polls.duplicate')}
            </button>
          )}
          {poll.status !== 'draft' && (
            <a href={`/api/v1/polls/${encodeURIComponent(poll.id)}/results.csv`} download>
              {t('polls.csv')}
            </a>
          )}
        </div>
      )}
      {isFacilitator && poll.status === 'draft' && confirming && (
        <div className="confirm-delete" role="group" aria-labelledby={`${headingId}-confirm`} data-testid="confirm-delete">
          <p id={`${headingId}-confirm`}>{t('polls.confirmDelete', { question: poll.question })}</p>
          <div className="actions">
            <button type="button" className="danger" onClick={remove} aria-disabled={busy || undefined}>
              {t('polls.deleteConfirmed')}
            </button>
            <button type="button" ref={keepButton} onClick={() => setConfirming(false)}>
              {t('polls.keep')}
            </button>
          </div>
        </div>
      )}
      {isFacilitator && poll.status === 'draft' && editing && (
        <PollForm
          roundtableId={poll.roundtable_id}
          minGroup={minGroup}
          heading={t('polls.editHeading')}
          picker
          editing={poll}
          focusOnOpen
          testId="edit-poll-form"
          onCancel={() => {
            setEditing(false);
            window.setTimeout(() => editButton.current?.focus(), 0);
          }}
          onCreated={(p) => {
            room.setPolls((l) => mergePoll(l, p));
            setEditing(false);
            window.setTimeout(() => headingRef.current?.focus(), 0);
          }}
        />
      )}
      {showVote && (
        <BallotForm
          poll={poll}
          submitLabel={changing ? t('vote.change') : undefined}
          onVote={async (b) => {
            await room.vote(poll, b);
            setChanging(false);
          }}
        />
      )}
      {poll.voted && !changing && (
        <p className="thanks" data-testid="voted">
          {t('vote.thanks')}{' '}
          {poll.status === 'open' && !poll.secret && canVote && (
            <button type="button" className="link-button" onClick={() => setChanging(true)}>
              {t('vote.changeMine')}
            </button>
          )}
        </p>
      )}
      {showResults ? (
        <>
          <h5 className="results-heading">{t('results.heading')}</h5>
          <ResultsView poll={poll} results={results} />
        </>
      ) : poll.status !== 'draft' ? (
        <p className="muted">
          {poll.results === 'hidden'
            ? t('results.hidden')
            : poll.results === 'on_close' && poll.status === 'open'
              ? t('results.onClose')
              : poll.voted || poll.status === 'closed'
                ? t('common.loading')
                : t('results.afterVoting')}
        </p>
      ) : null}
    </li>
  );
}

/** A poll card's agenda controls. */
interface Reorder {
  index: number;
  count: number;
  /** Focus this direction's button once the move has rendered. */
  focusDir: 'up' | 'down' | null;
  onFocusedMove: () => void;
  move: (dir: 'up' | 'down') => void;
  dragging: boolean;
  onDragStart: () => void;
  onDragEnd: () => void;
  /** A poll was dropped here: its id, as the drag carried it. */
  onDrop: (draggedId: string) => void;
}

function QuestionsPanel({
  roundtableId,
  questions,
  setQuestions,
  isFacilitator,
  unavailable,
}: {
  roundtableId: string;
  questions: Question[];
  setQuestions: (f: (q: Question[]) => Question[]) => void;
  isFacilitator: boolean;
  unavailable: boolean;
}) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const visible = sortQuestions(isFacilitator ? questions : questions.filter((q) => q.status === 'approved' || q.status === 'answered'));

  async function moderate(q: Question, next: 'approved' | 'hidden' | 'answered') {
    setError(null);
    try {
      const updated = await api<Question>('PATCH', `/questions/${encodeURIComponent(q.id)}`, { status: next });
      setQuestions((l) => mergeQuestion(l, updated));
      setStatus(t('qa.moderated', { status: t(`qStatus.${next}`) }));
    } catch (e) {
      setError(errorMessage(e, t));
    }
  }

  return (
    <section id="questions" aria-labelledby="questions-heading" className="qa-panel rt-section" data-testid="qa-moderation">
      <h2 id="questions-heading" tabIndex={-1}>
        {isFacilitator ? t('qa.moderation') : t('qa.heading')}
      </h2>
      {unavailable ? (
        <p className="muted">{t('qa.unavailable')}</p>
      ) : (
        <>
          <Alert message={error} />
          <p role="status" className="visually-hidden">
            {status}
          </p>
          <AskForm roundtableId={roundtableId} onAsked={(q) => setQuestions((l) => mergeQuestion(l, q))} />
          {visible.length === 0 ? (
            <p className="muted">{t('qa.empty')}</p>
          ) : (
            <ul className="questions">
              {visible.map((q) => (
                <li key={q.id} className={`question question--${q.status}`} data-testid="question">
                  <p className="question-text">{q.text}</p>
                  <p className="question-meta">
                    <span>{t('qa.votes', { count: q.votes })}</span>
                    {askedBy(q) && <span>{askedBy(q)}</span>}
                    <span className={`status status--q-${q.status}`}>{t(`qStatus.${q.status}`)}</span>
                  </p>
                  {isFacilitator && (
                    <div className="actions">
                      {q.status !== 'approved' && (
                        <button type="button" onClick={() => moderate(q, 'approved')}>
                          {t('qa.approve')}
                        </button>
                      )}
                      {q.status !== 'hidden' && (
                        <button type="button" onClick={() => moderate(q, 'hidden')}>
                          {t('qa.hide')}
                        </button>
                      )}
                      {q.status !== 'answered' && (
                        <button type="button" onClick={() => moderate(q, 'answered')}>
                          {t('qa.markAnswered')}
                        </button>
                      )}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
