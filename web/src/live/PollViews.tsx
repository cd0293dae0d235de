/** Voting forms and result charts, shared by the roundtable page, the presenter page and the audience page. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api';
import { useI18n, type TFunction } from '../i18n';
import { ballotFor, mayAnnounce, meanText, moveItem, percentOf, resultLabel, scaleValues, showsSplit, splitFigure, splitText } from './logic';
import { VoteError, type LiveState } from './socket';
import { TEXT_BALLOT_MAX, VOTER_GROUPS, type Ballot, type Poll, type Results } from './types';

/** A translated message for a failed vote (socket error code, or a REST problem). */
export function voteErrorMessage(e: unknown, t: TFunction): string {
  if (e instanceof VoteError) {
    const key = `wsError.${e.code}`;
    const s = t(key);
    return s === key ? e.message || t('common.error') : s;
  }
  if (e instanceof ApiError || !(e instanceof Error)) return errorMessage(e, t);
  return t('common.error');
}

export function ConnectionStatus({ state }: { state: LiveState }) {
  const { t } = useI18n();
  const key = state === 'connecting' ? 'conn.reconnecting' : `conn.${state}`;
  return (
    <p className={`conn conn--${state === 'connecting' ? 'reconnecting' : state}`} data-testid="live-connection" data-state={state}>
      <span className="conn-dot" aria-hidden="true" />
      <span>
        {t('live.connection')}: {t(key)}
      </span>
    </p>
  );
}

/** A polite live region that speaks at most once every `minGapMs` (urgent messages skip the wait). */
export function useAnnouncer(minGapMs = 10_000) {
  const [text, setText] = useState('');
  const last = useRef<number | null>(null);
  const announce = (msg: string, urgent = false) => {
    const now = Date.now();
    if (!urgent && !mayAnnounce(last.current, now, minGapMs)) return;
    last.current = now;
    // Re-setting the same text would not be read again: toggle a trailing no-break space.
    setText((prev) => (prev === msg ? `${msg}\u00a0` : msg));
  };
  const region = (
    <p className="visually-hidden" role="status" aria-live="polite" data-testid="live-announcer">
      {text}
    </p>
  );
  return { announce, region };
}

export function BallotForm({
  poll,
  onVote,
  submitLabel,
}: {
  poll: Poll;
  onVote: (ballot: Ballot) => Promise<void>;
  submitLabel?: string;
}) {
  const { t } = useI18n();
  const uid = useId();
  const [choices, setChoices] = useState<string[]>([]);
  const [rating, setRating] = useState<number | null>(null);
  const [ranking, setRanking] = useState<string[]>(() => poll.options.map((o) => o.id));
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rankStatus, setRankStatus] = useState('');
  const focusAfterMove = useRef<string | null>(null);
  const errId = `${uid}-err`;
  const hintId = `${uid}-hint`;

  useEffect(() => {
    // Keep the ranking in step if options change (they do not once a poll is open, but be safe).
    setRanking((r) => {
      const ids = poll.options.map((o) => o.id);
      const kept = r.filter((id) => ids.includes(id));
      return [...kept, ...ids.filter((id) => !kept.includes(id))];
    });
  }, [poll.options]);

  useEffect(() => {
    if (focusAfterMove.current) {
      document.getElementById(focusAfterMove.current)?.focus();
      focusAfterMove.current = null;
    }
  }, [ranking]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const r = ballotFor(poll, { choices, rating, ranking, text });
    if ('error' in r) {
      setError(t(r.error, { max: poll.max_choices ?? 0, limit: TEXT_BALLOT_MAX }));
      return;
    }
    setError(null);
    setBusy(true);
    try {
      await onVote(r.ballot);
    } catch (err) {
      setError(voteErrorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  function toggle(id: string, checked: boolean) {
    setChoices((c) => (checked ? [...c.filter((x) => x !== id), id] : c.filter((x) => x !== id)));
  }

  function move(index: number, delta: number, which: 'up' | 'down') {
    const next = moveItem(ranking, index, delta);
    const id = ranking[index];
    const label = poll.options.find((o) => o.id === id)?.label ?? '';
    const pos = next.indexOf(id);
    // Keep focus on the moved item; at the top or bottom the other button is the useful one.
    const atEdge = (which === 'up' && pos === 0) || (which === 'down' && pos === next.length - 1);
    focusAfterMove.current = `${uid}-${id}-${atEdge ? (which === 'up' ? 'down' : 'up') : which}`;
    setRanking(next);
    setRankStatus(t('vote.rankPosition', { label, position: pos + 1, count: next.length }));
  }

  const described = [hintId, error ? errId : null].filter(Boolean).join(' ');
  const name = `${uid}-choice`;
  let body;
  switch (poll.kind) {
    case 'single':
    case 'multiple':
      body = (
        <fieldset aria-describedby={described}>
          <legend>{poll.question}</legend>
          <p id={hintId} className="hint">
            {poll.kind === 'single'
              ? t('vote.hintSingle')
              : poll.max_choices
                ? t('vote.hintMultipleMax', { max: poll.max_choices })
                : t('vote.hintMultiple')}
          </p>
          <div className="choices">
            {poll.options.map((o) => (
              <label key={o.id} className="choice">
                <input
                  type={poll.kind === 'single' ? 'radio' : 'checkbox'}
                  name={name}
                  value={o.id}
                  checked={choices.includes(o.id)}
                  onChange={(e) => (poll.kind === 'single' ? setChoices([o.id]) : toggle(o.id, e.target.checked))}
                />
                <span>{o.label}</span>
              </label>
            ))}
          </div>
        </fieldset>
      );
      break;
    case 'rating': {
      const values = scaleValues(poll);
      body = (
        <fieldset aria-describedby={described}>
          <legend>{poll.question}</legend>
          <p id={hintId} className="hint">
            {t('vote.hintRating', { min: values[0], max: values[values.length - 1] })}
          </p>
          <div className="scale">
            {values.map((v) => (
              <label key={v} className="scale-value">
                <input type="radio" name={name} value={v} checked={rating === v} onChange={() => setRating(v)} />
                <span>{v}</span>
              </label>
            ))}
          </div>
        </fieldset>
      );
      break;
    }
    case 'ranking':
      body = (
        <fieldset aria-describedby={described}>
          <legend>{poll.question}</legend>
          <p id={hintId} className="hint">
            {t('vote.hintRanking')}
          </p>
          <ol className="ranking">
            {ranking.map((id, i) => {
              const label = poll.options.find((o) => o.id === id)?.label ?? id;
              return (
                <li key={id} className="ranking-item">
                  <span className="ranking-pos" aria-hidden="true">
                    {i + 1}
                  </span>
                  <span className="ranking-label">{label}</span>
                  <span className="ranking-buttons">
                    <button
                      type="button"
                      id={`${uid}-${id}-up`}
                      onClick={() => move(i, -1, 'up')}
                      aria-disabled={i === 0 || undefined}
                      aria-label={t('vote.moveUp', { label })}
                    >
                      <span aria-hidden="true">↑</span>
                    </button>
                    <button
                      type="button"
                      id={`${uid}-${id}-down`}
                      onClick={() => move(i, 1, 'down')}
                      aria-disabled={i === ranking.length - 1 || undefined}
                      aria-label={t('vote.moveDown', { label })}
                    >
                      <span aria-hidden="true">↓</span>
                    </button>
                  </span>
                </li>
              );
            })}
          </ol>
          <p className="visually-hidden" role="status">
            {rankStatus}
          </p>
        </fieldset>
      );
      break;
    case 'text':
      body = (
        <div className="field">
          <label htmlFor={`${uid}-text`}>{poll.question}</label>
          <p id={hintId} className="hint">
            {t('vote.hintText', { count: [...text].length, limit: TEXT_BALLOT_MAX })}
          </p>
          <textarea
            id={`${uid}-text`}
            rows={2}
            maxLength={TEXT_BALLOT_MAX}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={described}
            aria-invalid={error ? true : undefined}
          />
        </div>
      );
      break;
  }

  return (
    <form className="ballot" onSubmit={submit} noValidate data-testid="ballot">
      {body}
      {error && (
        <p id={errId} className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" aria-disabled={busy || undefined}>
        {submitLabel ?? t('vote.submit')}
      </button>
    </form>
  );
}

/** Whether the element scrolls sideways (then it must be reachable by keyboard to scroll it). */
function useScrollsSideways<T extends HTMLElement>() {
  // A callback ref: the element may appear after the first render (a split once the poll closes).
  const [el, ref] = useState<T | null>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    if (!el || typeof ResizeObserver === 'undefined') return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    check();
    return () => ro.disconnect();
  }, [el]);
  return { ref, scrolls };
}

function Bar({ label, count, total, percent }: { label: string; count: number; total: number; percent?: number }) {
  const { t } = useI18n();
  const p = percent ?? percentOf(count, total);
  return (
    <li className="bar">
      <span className="bar-label">{label}</span>
      <span className="bar-track" aria-hidden="true">
        <span className="bar-fill" style={{ width: `${Math.min(100, p)}%` }} />
      </span>
      <span className="bar-value">{resultLabel(t, count, total)}</span>
    </li>
  );
}

/**
 * The results of a poll: bars with "54% — 15 of 28" text (the text is the chart's equivalent),
 * and for participants, the split by side as a table.
 */
export function ResultsView({ poll, results, big = false }: { poll: Poll; results: Results; big?: boolean }) {
  const { t } = useI18n();
  const uid = useId();
  const splitBox = useScrollsSideways<HTMLDivElement>();
  const total = results.total;
  const bySide = results.by_side;
  let chart;
  if (poll.kind === 'single' || poll.kind === 'multiple') {
    chart = (
      <ul className="bars" aria-label={t('results.chart', { question: poll.question })}>
        {results.options.map((o) => (
          <Bar key={o.option_id} label={o.label} count={o.count} total={total} />
        ))}
      </ul>
    );
  } else if (poll.kind === 'rating' && results.rating) {
    const mean = results.rating.mean;
    chart = (
      <>
        <p className="rating-mean">
          {mean === null ? t('results.noVotes') : t('results.mean', { mean: mean.toFixed(1) })}
        </p>
        <ul className="bars" aria-label={t('results.chart', { question: poll.question })}>
          {results.rating.distribution.map((d) => (
            <Bar key={d.value} label={String(d.value)} count={d.count} total={total} />
          ))}
        </ul>
      </>
    );
  } else if (poll.kind === 'ranking') {
    chart = (
      <ol className="ranking-results">
        {results.ranking.map((r) => (
          <li key={r.option_id}>
            <span className="bar-label">{r.label}</span>{' '}
            <span className="muted">{t('results.points', { points: r.points, first: r.first_choices })}</span>
          </li>
        ))}
      </ol>
    );
  } else if (poll.kind === 'text') {
    const max = Math.max(1, ...results.words.map((w) => w.count));
    chart =
      results.words.length === 0 ? (
        <p className="muted">{t('results.noWords')}</p>
      ) : (
        <ul className="words" aria-label={t('results.words')}>
          {results.words.map((w) => (
            <li key={w.word} style={{ fontSize: `${(big ? 1.5 : 1) * (1 + (w.count / max) * 1.25)}rem` }}>
              {w.word} <span className="visually-hidden">({w.count})</span>
            </li>
          ))}
        </ul>
      );
  }

  const groups = bySide ? VOTER_GROUPS.filter((g) => g !== 'audience' || bySide.audience > 0) : [];
  const secrecy = results.secrecy ?? null;
  const k = secrecy?.min_group ?? 0;
  const showSplit = !big && !secrecy?.result && showsSplit(results) && (poll.kind === 'single' || poll.kind === 'multiple') && results.options.some((o) => o.by_side);
  const showMeans = !big && !secrecy?.result && showsSplit(results) && poll.kind === 'rating' && !!results.rating?.mean_by_side;
  // A closed secret poll: say why some groups show no figures, once, under the split.
  const withheldAny = !!secrecy && !secrecy.live_step && groups.some((g) => secrecy.sides[g] && bySide![g] > 0);
  return (
    <div className={`results${big ? ' results--big' : ''}`} data-testid="results" data-total={total} data-secret={secrecy ? (secrecy.live_step ? 'live-step' : 'closed') : undefined}>
      <p className="results-total">{t('results.total', { total })}</p>
      {secrecy?.live_step && (
        <p className="results-secret" data-testid="secret-step">
          {t('results.liveStep', { k })}
        </p>
      )}
      {secrecy?.result ? (
        <p className="results-secret" data-testid="result-withheld">
          {t('results.resultWithheld', { k })}
        </p>
      ) : (
        chart
      )}
      {showSplit && (
        <div className="split">
          {/* The title stays outside the scrolling box, so a phone never cuts it off. */}
          <p className="split-caption" id={`${uid}-split`}>
            {t('results.splitCaption')}
          </p>
          <div
            className="split-scroll"
            ref={splitBox.ref}
            // A table wider than a phone scrolls on its own; keyboard users then need to reach it.
            {...(splitBox.scrolls ? { tabIndex: 0, role: 'region', 'aria-labelledby': `${uid}-split` } : {})}
          >
            <table className="split-table" data-testid="split" aria-labelledby={`${uid}-split`}>
              <thead>
                <tr>
                  <th scope="col">{t('results.option')}</th>
                  {groups.map((g) => (
                    <th scope="col" key={g}>
                      {t(`group.${g}`)} <span className="muted">({bySide![g]})</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {results.options.map((o) => (
                  <tr key={o.option_id}>
                    <th scope="row">{o.label}</th>
                    {groups.map((g) => {
                      const f = splitFigure(results, o.by_side, g);
                      return (
                        <td key={g} data-group={g} data-withheld={f.kind === 'fewer' || f.kind === 'withheld' || undefined}>
                          {splitText(t, f)}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {showMeans && (
        <ul className="mean-by-side">
          {groups.map((g) => (
            <li key={g}>
              {t(`group.${g}`)}: {meanText(t, results, g)}
            </li>
          ))}
        </ul>
      )}
      {withheldAny && (showSplit || showMeans) && (
        <p className="hint results-secret-note" data-testid="secret-note">
          {t('results.withheldNote', { k })}
        </p>
      )}
    </div>
  );
}
