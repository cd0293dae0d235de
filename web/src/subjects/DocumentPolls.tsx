/**
 * Polls on the document page: the roundtable's polls, live over the event socket, for the version
 * view ("Polls on this version", "Ask for an indicative vote") and the comment threads ("Poll on
 * this passage"). One provider per document page (HistoryLayout); the lists read it by context.
 *
 * A poll created here takes focus where it is listed; voting happens on the roundtable page, which
 * the lists link to (`/roundtables/<id>#poll-<id>`).
 */
import { createContext, useCallback, useContext, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, errorMessage } from '../api';
import { Alert } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { can, type Action, type Comment, type VersionWithText } from '../types';
import { knownMinGroup, mergePoll, upsertById } from '../live/logic';
import type { Poll } from '../live/types';
import { useLiveRoom, type LiveRoom } from '../live/useLiveRoom';
import { versionTitle } from '../agreements/logic';
import { shortQuote } from '../comments/threads';
import { PollForm } from '../pages/PollForm';
import { indicativeDefaults, pollHref, pollsOfPassage, pollsOfVersion, resultSummary } from './logic';
import { VersionSubjectLabel } from './SubjectBlock';
import './subjects.css';

interface DocumentPollsValue {
  roundtableId: string;
  room: LiveRoom;
  canManage: boolean;
  canVote: boolean;
  minGroup: number;
  /** The poll that should take focus where it is listed (just created here). */
  focusPoll: string | null;
  focused: () => void;
  created: (p: Poll) => void;
}

const Ctx = createContext<DocumentPollsValue | null>(null);

export function useDocumentPolls(): DocumentPollsValue | null {
  return useContext(Ctx);
}

export function DocumentPollsProvider({ roundtableId, actions, children }: { roundtableId: string; actions: readonly Action[]; children: ReactNode }) {
  // Results are read only for what these lists show: closed polls that name something.
  const room = useLiveRoom(roundtableId, { wantResults: (p) => !!p.subject && p.status === 'closed' });
  const { setPolls, loadResults } = room;
  const [focusPoll, setFocusPoll] = useState<string | null>(null);

  // The socket brings the list; REST too, so it shows while the socket (re)connects.
  useEffect(() => {
    let cancelled = false;
    api<Poll[]>('GET', `/roundtables/${encodeURIComponent(roundtableId)}/polls`)
      .then((list) => {
        if (cancelled) return;
        setPolls((known) => list.reduce((acc, p) => mergePoll(acc, p), known));
        for (const p of list) if (p.subject && p.status === 'closed') void loadResults(p.id);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [roundtableId, setPolls, loadResults]);

  const mine = { my_actions: actions };
  const canManage = can(mine, 'manage_polls');
  const canVote = can(mine, 'vote');
  const created = useCallback(
    (p: Poll) => {
      setPolls((l) => upsertById(l, p));
      setFocusPoll(p.id);
    },
    [setPolls],
  );
  const focused = useCallback(() => setFocusPoll(null), []);
  const minGroup = knownMinGroup(Object.values(room.results));
  const value = useMemo(
    () => ({ roundtableId, room, canManage, canVote, minGroup, focusPoll, focused, created }),
    [roundtableId, room, canManage, canVote, minGroup, focusPoll, focused, created],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** Polls that name one version or passage: question, state, the result once closed, where to vote. */
function SubjectPollList({ polls, level }: { polls: Poll[]; level: 3 | 4 }) {
  return (
    <ul className="subject-polls__list">
      {polls.map((p) => (
        <SubjectPollItem key={p.id} poll={p} level={level} />
      ))}
    </ul>
  );
}

function SubjectPollItem({ poll, level }: { poll: Poll; level: 3 | 4 }) {
  const { t } = useI18n();
  const ctx = useDocumentPolls()!;
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const results = ctx.room.results[poll.id];
  const focus = ctx.focusPoll === poll.id;
  const { focused } = ctx;

  useEffect(() => {
    if (!focus) return;
    headingRef.current?.focus();
    headingRef.current?.scrollIntoView({ block: 'nearest' });
    focused();
  }, [focus, focused]);

  async function setStatus(action: 'open' | 'close') {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const p = await api<Poll>('POST', `/polls/${encodeURIComponent(poll.id)}/${action}`);
      ctx.room.setPolls((l) => mergePoll(l, p));
      if (p.status === 'closed') void ctx.room.loadResults(p.id);
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  const Heading = level === 3 ? 'h3' : 'h4';
  const href = pollHref(ctx.roundtableId, poll.id);
  return (
    <li className={`subject-poll subject-poll--${poll.status}`} data-testid="subject-poll" data-poll-id={poll.id} data-status={poll.status}>
      <Heading id={headingId} ref={headingRef} tabIndex={-1} className="subject-poll__question">
        {poll.question}
      </Heading>
      <p className="poll-meta">
        <span className={`status status--${poll.status}`}>{t(`pollStatus.${poll.status}`)}</span>
        <span>{t(`pollKind.${poll.kind}`)}</span>
        {poll.secret && <span>{t('polls.secret')}</span>}
      </p>
      {poll.status === 'closed' && (
        <p className="subject-poll__result" data-testid="subject-poll-result">
          <span className="subject-poll__result-label">{t('subject.result')}</span>{' '}
          {results ? resultSummary(poll, results, t) : poll.results === 'hidden' ? t('results.hidden') : t('common.loading')}
        </p>
      )}
      {poll.status === 'draft' && !ctx.canManage && <p className="muted">{t('subject.notOpenYet')}</p>}
      <Alert message={error} />
      <div className="actions subject-poll__actions">
        {ctx.canManage && poll.status === 'draft' && (
          <button type="button" className="primary" onClick={() => void setStatus('open')} aria-disabled={busy || undefined} aria-describedby={headingId}>
            {t('subject.openPoll')}
          </button>
        )}
        {ctx.canManage && poll.status === 'open' && (
          <button type="button" onClick={() => void setStatus('close')} aria-disabled={busy || undefined} aria-describedby={headingId}>
            {t('subject.closePoll')}
          </button>
        )}
        {poll.status !== 'draft' && (
          <Link to={href} aria-describedby={headingId} data-testid="subject-poll-link">
            {poll.status === 'open' && ctx.canVote && !poll.voted
              ? t('subject.voteLink')
              : poll.status === 'closed'
                ? t('subject.resultsLink')
                : t('subject.seeLink')}
          </Link>
        )}
      </div>
    </li>
  );
}

/** The version view's polls: those that name this version, and "Ask for an indicative vote". */
export function VersionPolls({ version, documentTitle }: { version: VersionWithText; documentTitle: string }) {
  const { t } = useI18n();
  const ctx = useDocumentPolls();
  const headingId = useId();
  const [asking, setAsking] = useState(false);
  const askRef = useRef<HTMLButtonElement>(null);
  if (!ctx) return null;
  const polls = pollsOfVersion(ctx.room.polls, version.id);
  const title = versionTitle(version, t);
  return (
    <section className="subject-polls" aria-labelledby={headingId} data-testid="version-polls">
      <h3 id={headingId}>{t('subject.versionPolls')}</h3>
      {polls.length > 0 ? <SubjectPollList polls={polls} level={4} /> : !asking && <p className="muted">{t('subject.versionPollsNone')}</p>}
      {ctx.canManage && !asking && (
        <p>
          <button type="button" ref={askRef} onClick={() => setAsking(true)} data-testid="ask-indicative">
            {t('subject.askIndicative')}
          </button>
        </p>
      )}
      {ctx.canManage && asking && (
        <PollForm
          roundtableId={ctx.roundtableId}
          minGroup={ctx.minGroup}
          heading={t('subject.indicativeHeading', { version: title })}
          subject={{ version_id: version.id }}
          subjectNote={
            <div className="poll-subject">
              <VersionSubjectLabel documentTitle={documentTitle} version={version} link={false} />
            </div>
          }
          initial={indicativeDefaults('version', title, t)}
          focusOnOpen
          testId="indicative-form"
          onCancel={() => {
            setAsking(false);
            requestAnimationFrame(() => askRef.current?.focus());
          }}
          onCreated={(p) => {
            setAsking(false);
            ctx.created(p);
          }}
        />
      )}
    </section>
  );
}

/** In a comment thread: the polls on its passage, and "Poll on this passage" for facilitators. */
export function PassagePolls({ thread }: { thread: Comment }) {
  const { t } = useI18n();
  const ctx = useDocumentPolls();
  const [asking, setAsking] = useState(false);
  const askRef = useRef<HTMLButtonElement>(null);
  if (!ctx) return null;
  const polls = pollsOfPassage(ctx.room.polls, thread.id);
  const canAsk = ctx.canManage && !thread.deleted;
  if (polls.length === 0 && !canAsk) return null;
  return (
    <div className="subject-polls subject-polls--passage" data-testid="passage-polls">
      {polls.length > 0 && <SubjectPollList polls={polls} level={3} />}
      {canAsk && !asking && (
        <button type="button" ref={askRef} onClick={() => setAsking(true)} data-testid="ask-passage-poll">
          {t('subject.askPassage')}
        </button>
      )}
      {canAsk && asking && (
        <PollForm
          roundtableId={ctx.roundtableId}
          minGroup={ctx.minGroup}
          heading={t('subject.passageHeading')}
          headingLevel={3}
          subject={{ document_id: thread.document_id, comment_id: thread.id }}
          subjectNote={
            <div className="poll-subject">
              <blockquote className={`poll-subject__quote${thread.orphaned ? ' poll-subject__quote--gone' : ''}`}>{shortQuote(thread.quote, 300)}</blockquote>
            </div>
          }
          initial={indicativeDefaults('passage', '', t)}
          focusOnOpen
          testId="passage-poll-form"
          onCancel={() => {
            setAsking(false);
            requestAnimationFrame(() => askRef.current?.focus());
          }}
          onCreated={(p) => {
            setAsking(false);
            ctx.created(p);
          }}
        />
      )}
    </div>
  );
}
