/**
 * `/roundtables/:id/activity`: the roundtable's audit trail as sentences — who did what, when, on
 * which side (a written label beside the time, never colour alone) — newest first, a page at a time
 * ("Load older" moves focus to the first entry it adds).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { agreementsApi, api, ApiError, auditPage, errorMessage } from '../api';
import { activitySentence, actorSideLabel, type ActivityContext } from '../agreements/activity';
import { shortHash } from '../agreements/logic';
import { Alert, PageHeading, SideBadge, useTitle } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { AccordDocument, Agreement, AuditEntry, Participant, Roundtable } from '../types';
import '../agreements/agreements.css';

const PAGE = 50;

export function activityPath(roundtableId: string) {
  return `/roundtables/${encodeURIComponent(roundtableId)}/activity`;
}

export function ActivityPage({ id }: { id: string }) {
  const { t, formatDate } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  const [rt, setRt] = useState<Roundtable | null>(null);
  const [rtError, setRtError] = useState<unknown>(null);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [people, setPeople] = useState<Participant[]>([]);
  const [docs, setDocs] = useState<AccordDocument[]>([]);
  const [agreements, setAgreements] = useState<Agreement[]>([]);
  const focusSeq = useRef<number | null>(null);
  const listRef = useRef<HTMLOListElement>(null);

  const notFound = rtError instanceof ApiError && (rtError.status === 404 || rtError.status === 403);
  const title = rt ? t('activity.title', { title: rt.title }) : notFound ? t('rt.notFound') : t('common.loading');
  useTitle(title);

  useEffect(() => {
    let cancelled = false;
    const base = `/roundtables/${encodeURIComponent(id)}`;
    api<Roundtable>('GET', base)
      .then((r) => !cancelled && setRt(r))
      .catch((e) => !cancelled && setRtError(e));
    // What the entries name by id: people, documents, agreements' versions. Each is optional: without
    // it a sentence says "a former participant" or "a document".
    api<Participant[]>('GET', `${base}/participants`)
      .then((l) => !cancelled && setPeople(l))
      .catch(() => undefined);
    api<AccordDocument[]>('GET', `${base}/documents`)
      .then((l) => !cancelled && setDocs(l))
      .catch(() => undefined);
    agreementsApi
      .list(id)
      .then((l) => !cancelled && setAgreements(l))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [id]);

  const loadPage = useCallback(
    async (before: number | null) => {
      setBusy(true);
      setError(null);
      try {
        const page = await auditPage(id, before, PAGE);
        setEntries((prev) => (before == null ? page.entries : [...(prev ?? []), ...page.entries]));
        setNext(page.next_before ?? null);
        if (before != null) {
          focusSeq.current = page.entries[0]?.seq ?? null;
          setStatus(tRef.current('activity.loaded', { count: page.entries.length }));
        }
      } catch (e) {
        setError(`${tRef.current('activity.loadFailed')} ${errorMessage(e, tRef.current)}`);
        setEntries((prev) => prev ?? []);
      } finally {
        setBusy(false);
      }
    },
    [id],
  );

  useEffect(() => {
    void loadPage(null);
  }, [loadPage]);

  // After "Load older", the first entry it added takes focus: reading goes on from there.
  useEffect(() => {
    if (focusSeq.current == null) return;
    const el = listRef.current?.querySelector<HTMLElement>(`[data-seq="${focusSeq.current}"]`);
    focusSeq.current = null;
    el?.focus();
  }, [entries]);

  const ctx = useMemo<ActivityContext>(() => {
    const names = new Map(people.map((p) => [p.user_id, p.display_name]));
    const titles = new Map(docs.map((d) => [d.id, d.title]));
    const byId = new Map(agreements.map((a) => [a.id, a]));
    return {
      person: (uid) => names.get(uid),
      document: (did) => titles.get(did),
      agreement: (aid) => byId.get(aid),
      formatDate,
    };
  }, [people, docs, agreements, formatDate]);

  if (rtError) {
    return (
      <>
        <PageHeading>{notFound ? t('rt.notFound') : t('common.error')}</PageHeading>
        {!notFound && <Alert message={errorMessage(rtError, t)} />}
        <p>
          <Link to="/">{t('rt.back')}</Link>
        </p>
      </>
    );
  }

  return (
    <>
      <p className="breadcrumb">
        <Link to={`/roundtables/${encodeURIComponent(id)}`}>{t('activity.back')}</Link>
      </p>
      <PageHeading>{title}</PageHeading>
      <p className="hint activity-intro">{t('activity.intro')}</p>
      <p role="status" className="visually-hidden" data-testid="activity-status">
        {status}
      </p>
      <Alert message={error} />
      {entries === null ? (
        <p>{t('common.loading')}</p>
      ) : entries.length === 0 ? (
        !error && <p className="muted">{t('activity.empty')}</p>
      ) : (
        <ol className="activity" ref={listRef} data-testid="activity" aria-label={t('activity.heading')}>
          {entries.map((e) => {
            const sideLabel = actorSideLabel(e, t);
            const side = e.actor.user_id == null ? 'system' : (e.actor.side ?? 'neutral');
            return (
              <li
                key={e.seq}
                className={`activity-entry activity-entry--${side}`}
                data-testid="activity-entry"
                data-action={e.action}
                data-seq={e.seq}
                tabIndex={-1}
              >
                <p className="activity-sentence">{activitySentence(e, ctx, t)}</p>
                <p className="activity-meta">
                  <time dateTime={e.at}>{formatDate(e.at)}</time>
                  {sideLabel && <SideBadge side={side}>{sideLabel}</SideBadge>}
                  <span className="activity-chain">
                    {t('activity.entry', { seq: e.seq })} · {t('activity.hash', { hash: shortHash(e.hash) })}
                  </span>
                </p>
              </li>
            );
          })}
        </ol>
      )}
      {entries && entries.length > 0 && (
        <p>
          {next != null ? (
            <button type="button" onClick={() => !busy && void loadPage(next)} aria-disabled={busy || undefined} data-testid="load-older">
              {t('activity.loadOlder')}
            </button>
          ) : (
            <span className="muted">{t('activity.end')}</span>
          )}
        </p>
      )}
    </>
  );
}
