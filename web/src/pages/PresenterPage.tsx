/** Full-screen presenter view: the current poll's chart, join code and QR, top questions; keyboard driven. */
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { Alert, PageHeading, useTitle } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { can, type Roundtable } from '../types';
import { formatCode, initialPollIndex, mergePoll, publicQuestions } from '../live/logic';
import { ConnectionStatus, ResultsView, useAnnouncer } from '../live/PollViews';
import { useLiveRoom } from '../live/useLiveRoom';
import type { LiveSession, Poll } from '../live/types';
import { QrCode } from './PollsSection';
import { SubjectBlock } from '../subjects/SubjectBlock';

const TOP_QUESTIONS = 5;

export function PresenterPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [rt, setRt] = useState<Roundtable | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [live, setLive] = useState<LiveSession | null | undefined>(undefined);
  const [currentId, setCurrentId] = useState<string | null>(null);
  const [showQuestions, setShowQuestions] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const { announce, region } = useAnnouncer(10_000);
  const lastTotal = useRef<Record<string, number>>({});
  const room = useLiveRoom(rt ? id : null, {
    wantResults: () => true,
    onEvent: (e) => {
      if (e.type === 'opened') {
        setCurrentId(e.poll.id);
        announce(t('polls.announceOpened', { question: e.poll.question }), true);
      }
      if (e.type === 'closed') announce(t('polls.announceClosed', { question: e.poll.question }), true);
    },
  });
  const { polls } = room;
  useTitle(rt ? t('present.title', { title: rt.title }) : t('common.loading'));

  useEffect(() => {
    let cancelled = false;
    api<Roundtable>('GET', `/roundtables/${encodeURIComponent(id)}`)
      .then((r) => !cancelled && setRt(r))
      .catch((e) => !cancelled && setLoadError(e));
    return () => {
      cancelled = true;
    };
  }, [id]);

  // The live session (join code + QR); look again now and then while there is none.
  useEffect(() => {
    if (!rt) return;
    let cancelled = false;
    let timer: number | undefined;
    const load = () =>
      api<LiveSession>('GET', `/roundtables/${encodeURIComponent(id)}/live`)
        .then((l) => !cancelled && setLive(l))
        .catch(() => {
          if (cancelled) return;
          setLive(null);
          timer = window.setTimeout(load, 10_000);
        });
    void load();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [rt, id]);

  const index = (() => {
    const i = currentId ? polls.findIndex((p) => p.id === currentId) : -1;
    return i >= 0 ? i : initialPollIndex(polls);
  })();
  const poll: Poll | undefined = polls[index];
  const results = poll ? room.results[poll.id] : undefined;

  // Announce the number of votes now and then (the live region is throttled to once every 10 s).
  useEffect(() => {
    if (!poll || !results) return;
    if (lastTotal.current[poll.id] === results.total) return;
    lastTotal.current[poll.id] = results.total;
    announce(t('results.total', { total: results.total }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [poll?.id, results?.total]);

  async function setStatus(action: 'open' | 'close') {
    if (!poll) return;
    if ((action === 'open' && poll.status !== 'draft') || (action === 'close' && poll.status !== 'open')) {
      announce(t(action === 'open' ? 'present.cannotOpen' : 'present.cannotClose'), true);
      return;
    }
    setError(null);
    try {
      const p = await api<Poll>('POST', `/polls/${encodeURIComponent(poll.id)}/${action}`);
      room.setPolls((l) => mergePoll(l, p));
      void room.loadResults(p.id);
      announce(t(action === 'open' ? 'polls.announceOpened' : 'polls.announceClosed', { question: p.question }), true);
    } catch (e) {
      setError(errorMessage(e, t));
    }
  }

  function go(delta: number) {
    if (polls.length === 0) return;
    const next = Math.max(0, Math.min(polls.length - 1, index + delta));
    if (next === index) {
      announce(t(delta > 0 ? 'present.lastPoll' : 'present.firstPoll'), true);
      return;
    }
    setCurrentId(polls[next].id);
    announce(t('present.pollN', { n: next + 1, count: polls.length, question: polls[next].question }), true);
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) void document.exitFullscreen?.();
    else void document.documentElement.requestFullscreen?.().catch(() => announce(t('present.noFullscreen'), true));
  }

  function toggleQuestions() {
    setShowQuestions((s) => {
      announce(t(s ? 'present.questionsHidden' : 'present.questionsShown'), true);
      return !s;
    });
  }

  const keys = useRef<(e: KeyboardEvent) => void>(() => undefined);
  keys.current = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const actions: Record<string, () => void> = {
      o: () => void setStatus('open'),
      c: () => void setStatus('close'),
      n: () => go(1),
      ArrowRight: () => go(1),
      p: () => go(-1),
      ArrowLeft: () => go(-1),
      f: toggleFullscreen,
      q: toggleQuestions,
    };
    const act = actions[k];
    if (act) {
      e.preventDefault();
      act();
    }
  };
  useEffect(() => {
    const h = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', h);
    return () => window.removeEventListener('keydown', h);
  }, []);

  if (loadError) {
    const notFound = loadError instanceof ApiError && (loadError.status === 404 || loadError.status === 403);
    return (
      <div className="presenter">
        <PageHeading>{notFound ? t('rt.notFound') : t('common.error')}</PageHeading>
        {!notFound && <Alert message={errorMessage(loadError, t)} />}
      </div>
    );
  }
  if (!rt) return <PageHeading>{t('common.loading')}</PageHeading>;

  const top = publicQuestions(room.questions).slice(0, TOP_QUESTIONS);
  const isFacilitator = can(rt, 'manage_polls');
  return (
    <div className="presenter" data-testid="presenter">
      {region}
      <div className="presenter-top">
        <p className="presenter-rt">
          <Link to={`/roundtables/${encodeURIComponent(id)}`}>{rt.title}</Link>
        </p>
        <ConnectionStatus state={room.state} />
      </div>
      <div className={`presenter-grid${showQuestions ? '' : ' presenter-grid--no-questions'}`}>
        <section className="presenter-poll" aria-labelledby="presenter-question">
          {poll ? (
            <>
              <p className="presenter-position">
                {t('present.position', { n: index + 1, count: polls.length })} ·{' '}
                <span className={`status status--${poll.status}`} data-testid="presenter-status">
                  {t(`pollStatus.${poll.status}`)}
                </span>
              </p>
              <h1 id="presenter-question" tabIndex={-1}>
                {poll.question}
              </h1>
              {/* A participants' poll may name what it decides: its label and link, not its text, on the projector. */}
              <SubjectBlock subject={poll.subject} showText={false} big />
              <Alert message={error} />
              {results ? (
                <ResultsView poll={poll} results={results} big />
              ) : (
                <p className="presenter-waiting">{poll.status === 'draft' ? t('present.draft') : t('results.hidden')}</p>
              )}
            </>
          ) : (
            <>
              <h1 id="presenter-question">{t('present.noPolls')}</h1>
              <p>{t('present.noPollsHint')}</p>
            </>
          )}
        </section>
        <aside className="presenter-side" aria-label={t('present.joinPanel')}>
          {live ? (
            <>
              <p className="presenter-join-label">{t('live.joinAt', { url: live.join_url.replace(/^https?:\/\//, '') })}</p>
              <p className="presenter-code" data-testid="presenter-code">
                <span className="visually-hidden">{t('live.joinCode')}: </span>
                {formatCode(live.join_code)}
              </p>
              <QrCode svg={live.qr_svg} url={live.join_url} className="qr qr--big" />
            </>
          ) : live === null ? (
            <p>{t('present.noLive')}</p>
          ) : null}
          {showQuestions && (
            <section className="presenter-questions" aria-labelledby="top-questions-heading" data-testid="top-questions">
              <h2 id="top-questions-heading">{t('present.topQuestions')}</h2>
              {top.length === 0 ? (
                <p className="muted">{t('qa.empty')}</p>
              ) : (
                <ol>
                  {top.map((q) => (
                    <li key={q.id}>
                      <span className="question-text">{q.text}</span>{' '}
                      <span className="question-votes">{t('qa.votes', { count: q.votes })}</span>
                    </li>
                  ))}
                </ol>
              )}
            </section>
          )}
        </aside>
      </div>
      <div className="presenter-controls">
        <p className="presenter-help" id="presenter-help" data-testid="presenter-help">
          {isFacilitator ? t('present.help') : t('present.helpViewer')}
        </p>
        <div className="actions" role="group" aria-label={t('present.controls')}>
          <button type="button" onClick={() => go(-1)} aria-keyshortcuts="P ArrowLeft">
            {t('present.previous')}
          </button>
          <button type="button" onClick={() => go(1)} aria-keyshortcuts="N ArrowRight">
            {t('present.next')}
          </button>
          {isFacilitator && poll?.status === 'draft' && (
            <button type="button" className="primary" onClick={() => void setStatus('open')} aria-keyshortcuts="O">
              {t('polls.open')}
            </button>
          )}
          {isFacilitator && poll?.status === 'open' && (
            <button type="button" onClick={() => void setStatus('close')} aria-keyshortcuts="C">
              {t('polls.close')}
            </button>
          )}
          <button type="button" onClick={toggleFullscreen} aria-keyshortcuts="F">
            {t('present.fullscreen')}
          </button>
          <button type="button" onClick={toggleQuestions} aria-pressed={showQuestions} aria-keyshortcuts="Q">
            {t('present.questions')}
          </button>
        </div>
      </div>
    </div>
  );
}
