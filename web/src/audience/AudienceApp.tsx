/** Conference audience: join with a code, vote in the open audience poll, see results, ask and upvote questions. */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { Alert, TextField } from '../components';
import { useFormState } from '../forms';
import { LANGS, useI18n, type Lang } from '../i18n';
import { AskForm } from '../live/AskForm';
import { codeFromPath, mergeQuestion, normaliseCode, publicQuestions } from '../live/logic';
import { BallotForm, ConnectionStatus, ResultsView, useAnnouncer } from '../live/PollViews';
import { useLiveRoom, type LiveRoom } from '../live/useLiveRoom';
import type { JoinResult, Poll, Question } from '../live/types';

export function AudienceApp() {
  const { t, lang, setLang } = useI18n();
  const [me, setMe] = useState<JoinResult | null | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    api<JoinResult>('GET', '/audience/me')
      .then((m) => !cancelled && setMe(m))
      .catch(() => !cancelled && setMe(null));
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    document.title = me ? `${me.roundtable_title} – ${t('audience.brand')}` : t('audience.brand');
  }, [me, t]);

  return (
    <>
      <header className="audience-header">
        <span className="brand">{t('audience.brand')}</span>
        <div className="lang">
          <label htmlFor="lang-select">{t('lang.label')}</label>
          <select id="lang-select" value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
            {LANGS.map((l) => (
              <option key={l.code} value={l.code} lang={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </div>
      </header>
      <main id="main" className="audience-main">
        {me === undefined ? (
          <p role="status">{t('common.loading')}</p>
        ) : me === null ? (
          <JoinForm onJoined={setMe} />
        ) : (
          <LiveView me={me} onLeave={() => setMe(null)} />
        )}
      </main>
    </>
  );
}

function JoinForm({ onJoined }: { onJoined: (j: JoinResult) => void }) {
  const { t } = useI18n();
  const [code, setCode] = useState(() => codeFromPath(window.location.pathname));
  const [name, setName] = useState('');
  const form = useFormState(t);
  const headingRef = useRef<HTMLHeadingElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const c = normaliseCode(code);
    if (!form.validate(c ? {} : { code: t('validation.required') })) return;
    let joined: JoinResult | null = null;
    const ok = await form.run(async () => {
      try {
        const body: { code: string; display_name?: string } = { code: c };
        if (name.trim()) body.display_name = name.trim();
        joined = await api<JoinResult>('POST', '/join', body);
      } catch (err) {
        if (err instanceof ApiError && err.problem?.type === 'urn:accord:problem:session-ended') {
          const said = t('audience.sessionEnded');
          throw new ApiError(err.status, { ...err.problem, errors: [{ field: 'code', message: said }] }, null, said);
        }
        if (err instanceof ApiError && (err.status === 404 || err.status === 410)) {
          throw new ApiError(err.status, { detail: t('audience.badCode'), errors: [{ field: 'code', message: t('audience.badCode') }] });
        }
        throw err;
      }
    });
    if (ok && joined) {
      history.replaceState(null, '', `/live/${encodeURIComponent(c)}`);
      onJoined(joined);
    }
  }

  return (
    <>
      <h1 ref={headingRef}>{t('audience.joinTitle')}</h1>
      <p>{t('audience.joinIntro')}</p>
      <form onSubmit={submit} noValidate className="join-form">
        <Alert message={form.formError} />
        <TextField
          label={t('live.joinCode')}
          name="code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          className="code-input"
          error={form.fieldErrors.code}
          required
        />
        <TextField
          label={t('audience.name')}
          hint={t('audience.nameHint')}
          name="display_name"
          value={name}
          maxLength={60}
          autoComplete="nickname"
          onChange={(e) => setName(e.target.value)}
          error={form.fieldErrors.display_name}
        />
        <button type="submit" className="primary big-button" aria-disabled={form.busy || undefined}>
          {t('audience.join')}
        </button>
      </form>
    </>
  );
}

type Tab = 'poll' | 'questions';

function LiveView({ me, onLeave }: { me: JoinResult; onLeave: () => void }) {
  const { t } = useI18n();
  const { announce, region } = useAnnouncer();
  const [tab, setTab] = useState<Tab>('poll');
  const room = useLiveRoom(me.roundtable_id, {
    wantResults: (p) => p.voted || p.status === 'closed',
    onEvent: (e) => {
      if (e.type === 'opened') announce(t('polls.announceOpened', { question: e.poll.question }), true);
      if (e.type === 'closed') announce(t('polls.announceClosed', { question: e.poll.question }), true);
    },
  });
  const tabs: Tab[] = ['poll', 'questions'];
  const questions = publicQuestions(room.questions);

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>) {
    const i = tabs.indexOf(tab);
    let next: Tab | null = null;
    if (e.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
    else if (e.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (e.key === 'Home') next = tabs[0];
    else if (e.key === 'End') next = tabs[tabs.length - 1];
    if (!next) return;
    e.preventDefault();
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  }

  if (room.refused) {
    return (
      <>
        <h1>{me.roundtable_title}</h1>
        <p className="alert alert--info" role="status">
          {t('audience.ended')}
        </p>
        <button type="button" className="primary" onClick={onLeave}>
          {t('audience.enterCode')}
        </button>
      </>
    );
  }

  const open = room.polls.filter((p) => p.status === 'open');
  const lastClosed = room.polls.filter((p) => p.status === 'closed' && room.results[p.id]).slice(-1);
  return (
    <>
      <h1>{me.roundtable_title}</h1>
      {me.display_name && <p className="muted">{t('audience.youAre', { name: me.display_name })}</p>}
      <ConnectionStatus state={room.state} />
      {region}
      <div className="tabs" role="tablist" aria-label={t('audience.sections')}>
        {tabs.map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            id={`tab-${k}`}
            aria-selected={tab === k}
            aria-controls={`panel-${k}`}
            tabIndex={tab === k ? 0 : -1}
            onClick={() => setTab(k)}
            onKeyDown={onTabKey}
          >
            {k === 'poll' ? t('audience.tabPoll') : t('audience.tabQuestions', { count: questions.length })}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="panel-poll" aria-labelledby="tab-poll" hidden={tab !== 'poll'} tabIndex={0}>
        {open.length === 0 ? (
          <>
            <p className="waiting" data-testid="waiting">
              {t('audience.waiting')}
            </p>
            {lastClosed.map((p) => (
              <div key={p.id} className="audience-poll">
                <h2>{p.question}</h2>
                <ResultsView poll={p} results={room.results[p.id]} />
              </div>
            ))}
          </>
        ) : (
          open.map((p) => <AudiencePoll key={p.id} poll={p} room={room} />)
        )}
      </div>
      <div role="tabpanel" id="panel-questions" aria-labelledby="tab-questions" hidden={tab !== 'questions'} tabIndex={0}>
        <h2>{t('qa.heading')}</h2>
        <AskForm roundtableId={me.roundtable_id} onAsked={(q) => room.setQuestions((l) => mergeQuestion(l, q))} />
        <QuestionList questions={questions} setQuestions={room.setQuestions} />
      </div>
    </>
  );
}

function AudiencePoll({ poll, room }: { poll: Poll; room: LiveRoom }) {
  const { t } = useI18n();
  const [changing, setChanging] = useState(false);
  const thanksRef = useRef<HTMLParagraphElement>(null);
  const results = room.results[poll.id];
  const voting = !poll.voted || changing;
  return (
    <div className="audience-poll" data-testid="audience-poll" data-poll-id={poll.id}>
      {voting ? (
        <BallotForm
          poll={poll}
          submitLabel={changing ? t('vote.change') : undefined}
          onVote={async (b) => {
            await room.vote(poll, b);
            setChanging(false);
            requestAnimationFrame(() => thanksRef.current?.focus());
          }}
        />
      ) : (
        <>
          <h2>{poll.question}</h2>
          <p className="thanks" ref={thanksRef} tabIndex={-1} role="status" data-testid="thanks">
            {t('vote.thanks')}
          </p>
          {results ? (
            <ResultsView poll={poll} results={results} />
          ) : (
            <p className="muted">{poll.results === 'live' ? t('common.loading') : t(poll.results === 'hidden' ? 'results.hidden' : 'results.onClose')}</p>
          )}
          {!poll.secret && (
            <button type="button" onClick={() => setChanging(true)}>
              {t('vote.changeMine')}
            </button>
          )}
        </>
      )}
    </div>
  );
}

function QuestionList({ questions, setQuestions }: { questions: Question[]; setQuestions: (f: (q: Question[]) => Question[]) => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  async function upvote(q: Question) {
    if (q.voted_by_me) return;
    setError(null);
    try {
      const updated = await api<Question>('POST', `/questions/${encodeURIComponent(q.id)}/upvote`);
      setQuestions((l) => mergeQuestion(l, { ...updated, voted_by_me: true }));
    } catch (e) {
      setError(errorMessage(e, t));
    }
  }
  return (
    <>
      <Alert message={error} />
      {questions.length === 0 ? (
        <p className="muted">{t('qa.empty')}</p>
      ) : (
        <ul className="questions">
          {questions.map((q) => (
            <li key={q.id} className="question" data-testid="question">
              <p className="question-text">{q.text}</p>
              <div className="question-meta">
                <span>{t('qa.votes', { count: q.votes })}</span>
                <button type="button" aria-pressed={!!q.voted_by_me} aria-disabled={q.voted_by_me || undefined} onClick={() => upvote(q)}>
                  <span aria-hidden="true">{q.voted_by_me ? '✓ ' : '▲ '}</span>
                  {t('qa.upvote')}
                  <span className="visually-hidden">: {q.text}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
