/**
 * Agreement on a version, in the version view of the document page: "Propose for agreement" with
 * its rule (facilitators), and for each agreement on the version its panel — per-side progress,
 * every voter's position, Endorse / Object / Abstain for those in its electorate, the countdown to
 * `closes_at`, the outcome with its seal, Withdraw for facilitators.
 *
 * Focus: after taking a position, proposing or withdrawing, focus moves to the panel's status (what
 * changed is read from there); the Object form takes focus when it opens and gives it back when
 * cancelled. Changes made by others are announced by the page's live region (useAgreements).
 */
import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { agreementsApi } from '../api';
import { Alert, SideBadge, TextAreaField, TextField } from '../components';
import { useI18n, type TFunction } from '../i18n';
import { QUORUMS, VOTING_SIDES, can, type Action, type Agreement, type Position, type Quorum, type Version, type Voter, type VotingSide } from '../types';
import {
  agreementError,
  agreementsOfVersion,
  announcement,
  canTakePosition,
  countdownText,
  countdownTick,
  endorseLabel,
  localToRfc3339,
  myVoter,
  needed,
  openAgreementOf,
  reasonError,
  ruleText,
  sideProgressText,
  versionTitle,
} from './logic';
import './agreements.css';

type VersionRef = Pick<Version, 'id' | 'document_id' | 'number' | 'name' | 'sha256'>;

export interface VersionAgreementsProps {
  /** The version shown (its hash is the one every position sends). */
  version: VersionRef;
  /** The roundtable's agreements (newest first); null while loading. */
  agreements: Agreement[] | null;
  loadError: string | null;
  userId: string | undefined;
  actions: readonly Action[];
  /** Puts an agreement the server answered with into the page's list. */
  onChange: (a: Agreement) => void;
  announce: (text: string) => void;
}

/** The agreement part of a version view: the latest agreement on the version, earlier ones folded, and proposing. */
export function VersionAgreements({ version, agreements, loadError, userId, actions, onChange, announce }: VersionAgreementsProps) {
  const { t } = useI18n();
  const [proposing, setProposing] = useState(false);
  const proposeButton = useRef<HTMLButtonElement>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const focusStatus = useRef(false);
  const mine = agreements ? agreementsOfVersion(agreements, version.id) : [];
  const [latest, ...earlier] = mine;
  const canPropose = can({ my_actions: actions }, 'propose_agreements');
  const openHere = mine.some((a) => a.state === 'open');
  // An agreed version needs no new proposal (a later version may be proposed instead).
  const agreedHere = mine.some((a) => a.state === 'agreed');
  const openOther = agreements ? openAgreementOf(agreements, version.document_id) : undefined;
  const title = versionTitle(version, t);

  // After proposing, the new panel's status takes focus once it is drawn.
  useEffect(() => {
    if (focusStatus.current && latest) {
      focusStatus.current = false;
      statusRef.current?.focus();
    }
  }, [latest]);

  return (
    <section className="agreements" aria-labelledby="agreements-heading" data-testid="version-agreements">
      <h3 id="agreements-heading" className="visually-hidden">
        {t('agreement.heading')}
      </h3>
      <Alert message={loadError} />
      {agreements === null ? (
        <p>{t('common.loading')}</p>
      ) : (
        <>
          {latest ? (
            <AgreementPanel
              agreement={latest}
              version={version}
              userId={userId}
              actions={actions}
              onChange={onChange}
              announce={announce}
              statusRef={statusRef}
            />
          ) : (
            !proposing && <p className="muted">{t('agreement.none')}</p>
          )}
          {canPropose && !openHere && !agreedHere && !proposing && (
            <p>
              <button type="button" ref={proposeButton} className="primary" onClick={() => setProposing(true)} data-testid="propose-agreement">
                {t('agreement.propose')}
              </button>
            </p>
          )}
          {canPropose && proposing && (
            <ProposeForm
              version={version}
              openOther={openOther && openOther.version_id !== version.id ? openOther : undefined}
              onCancel={() => {
                setProposing(false);
                requestAnimationFrame(() => proposeButton.current?.focus());
              }}
              onProposed={(a) => {
                focusStatus.current = true;
                onChange(a);
                setProposing(false);
                announce(t('agreement.proposedDone', { version: title }));
              }}
            />
          )}
          {earlier.length > 0 && (
            <details className="agreements-earlier">
              <summary>{t('agreement.earlier', { count: earlier.length })}</summary>
              {earlier.map((a) => (
                <AgreementPanel key={a.id} agreement={a} version={version} userId={userId} actions={actions} onChange={onChange} announce={announce} compact />
              ))}
            </details>
          )}
        </>
      )}
    </section>
  );
}

/** The form a facilitator proposes a version with: quorum, whether objections block, an optional closing time. */
function ProposeForm({
  version,
  openOther,
  onCancel,
  onProposed,
}: {
  version: VersionRef;
  openOther: Agreement | undefined;
  onCancel: () => void;
  onProposed: (a: Agreement) => void;
}) {
  const { t } = useI18n();
  const uid = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [quorum, setQuorum] = useState<Quorum>('majority');
  const [block, setBlock] = useState(true);
  const [closes, setCloses] = useState('');
  const [closesError, setClosesError] = useState<string | undefined>();
  const closesRef = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = versionTitle(version, t);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const closesAt = localToRfc3339(closes);
    if (closes.trim() && (!closesAt || Date.parse(closesAt) <= Date.now())) {
      setClosesError(t('agreement.closesAtPast'));
      requestAnimationFrame(() => closesRef.current?.querySelector('input')?.focus());
      return;
    }
    setClosesError(undefined);
    setBusy(true);
    try {
      const a = await agreementsApi.propose(version.id, { rule: { quorum, objections_block: block }, ...(closesAt ? { closes_at: closesAt } : {}) });
      onProposed(a);
    } catch (err) {
      setError(agreementError(err, t));
      setBusy(false);
    }
  }

  return (
    <form className="propose-form" aria-labelledby={`${uid}-h`} onSubmit={onSubmit} noValidate data-testid="propose-form">
      <h4 id={`${uid}-h`} ref={headingRef} tabIndex={-1}>
        {t('agreement.proposeHeading', { version: title })}
      </h4>
      <p className="hint">{t('agreement.proposeHint')}</p>
      {openOther && (
        <p className="alert alert--info">
          {t('agreement.supersedesWarning', { version: versionTitle({ number: openOther.version_number, name: openOther.version_name }, t) })}
        </p>
      )}
      <Alert message={error} />
      <fieldset>
        <legend>{t('agreement.quorumLegend')}</legend>
        <div className="checks">
          {QUORUMS.map((q) => (
            <label key={q} className="choice">
              <input type="radio" name={`${uid}-quorum`} value={q} checked={quorum === q} onChange={() => setQuorum(q)} />
              {t(`agreement.quorumOption.${q}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="field">
        <label className="choice" htmlFor={`${uid}-block`}>
          <input id={`${uid}-block`} type="checkbox" checked={block} onChange={(e) => setBlock(e.target.checked)} aria-describedby={`${uid}-block-hint`} />
          {t('agreement.objectionsBlockLabel')}
        </label>
        <p id={`${uid}-block-hint`} className="hint">
          {t('agreement.objectionsBlockHint')}
        </p>
      </div>
      <div ref={closesRef}>
      <TextField
        type="datetime-local"
        label={t('agreement.closesAtLabel')}
        hint={t('agreement.closesAtHint')}
        name="closes_at"
        value={closes}
        onChange={(e) => setCloses(e.target.value)}
        error={closesError}
      />
      </div>
      <div className="actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {t('agreement.submitPropose', { version: title })}
        </button>
        <button type="button" onClick={onCancel}>
          {t('agreement.cancel')}
        </button>
      </div>
    </form>
  );
}

/** The current time, redrawn as often as `tick(now)` asks (null: never). */
function useNow(tick: (now: number) => number | null): number {
  const [now, setNow] = useState(() => Date.now());
  const ms = tick(now);
  useEffect(() => {
    if (ms == null) return;
    const timer = window.setTimeout(() => setNow(Date.now()), ms);
    return () => window.clearTimeout(timer);
  }, [now, ms]);
  return now;
}

function Countdown({ closesAt }: { closesAt: string }) {
  const { t, formatDate } = useI18n();
  const now = useNow((n) => countdownTick(closesAt, n));
  return (
    <p className="agreement-countdown" data-testid="agreement-countdown">
      {countdownText(closesAt, now, t)}{' '}
      <span className="muted">
        (<time dateTime={closesAt}>{formatDate(closesAt)}</time>)
      </span>
    </p>
  );
}

export interface AgreementPanelProps {
  agreement: Agreement;
  version: VersionRef;
  userId: string | undefined;
  actions: readonly Action[];
  onChange: (a: Agreement) => void;
  announce: (text: string) => void;
  /** Where focus goes after an action here (the caller may hold it, to focus it after proposing). */
  statusRef?: RefObject<HTMLDivElement | null>;
  /** An earlier proposal: shown whole, but with a smaller heading. */
  compact?: boolean;
}

export function AgreementPanel({ agreement: a, version, userId, actions, onChange, announce, statusRef, compact }: AgreementPanelProps) {
  const { t, formatDate } = useI18n();
  const uid = useId();
  const ownStatus = useRef<HTMLDivElement>(null);
  const status = statusRef ?? ownStatus;
  const title = versionTitle({ number: a.version_number, name: a.version_name }, t);
  const isFacilitator = can({ my_actions: actions }, 'propose_agreements');
  // Positions quote the hash of the version on screen; an agreement on another version offers none.
  const mayAct = canTakePosition(a, userId, actions) && version.id === a.version_id;
  const me = myVoter(a, userId);
  const blocked = a.state === 'open' && a.rule.objections_block && (a.progress.employer.object > 0 || a.progress.union.object > 0);

  const focusStatus = () => requestAnimationFrame(() => status.current?.focus());
  const done = (result: Agreement, msg: string) => {
    onChange(result);
    const outcome = result.state !== a.state ? announcement(a, result, t) : null;
    announce(outcome ? `${msg} ${outcome}` : msg);
    focusStatus();
  };

  return (
    <section
      className={`agreement agreement--${a.state}${compact ? ' agreement--compact' : ''}`}
      aria-labelledby={`${uid}-h`}
      data-testid="agreement-panel"
      data-state={a.state}
      data-agreement={a.id}
    >
      <h3 id={`${uid}-h`} className="agreement-heading">
        {t('agreement.headingVersion', { version: title })}
      </h3>
      <div className="agreement-status" ref={status} tabIndex={-1} data-testid="agreement-status">
        <p className="agreement-status-line">
          <span className={`agreement-state agreement-state--${a.state}`}>
            <span className="visually-hidden">{t('agreement.stateLabel')}: </span>
            {t(`agreement.state.${a.state}`)}
          </span>{' '}
          <span data-testid="agreement-progress">
            {VOTING_SIDES.map((side, i) => (
              <span key={side}>
                {i > 0 && ' · '}
                <span className="nowrap">{sideProgressText(side, a.progress[side], t)}</span>
              </span>
            ))}
          </span>
        </p>
        {a.state === 'open' ? (
          a.closes_at && <Countdown closesAt={a.closes_at} />
        ) : (
          <p className="agreement-outcome" data-testid="agreement-outcome">
            {t(`agreement.outcome.${a.state}`, { date: a.decided_at ? formatDate(a.decided_at) : '' })}
          </p>
        )}
        {blocked && (
          <p className="agreement-blocked" data-testid="agreement-blocked">
            {t('agreement.blocked')}
          </p>
        )}
      </div>

      <p className="agreement-proposed">
        {t('agreement.proposedBy', { name: a.proposed_by.display_name, date: formatDate(a.created_at) })}
      </p>
      <dl className="agreement-facts">
        <div>
          <dt>{t('agreement.rule')}</dt>
          <dd>{ruleText(a.rule, t)}</dd>
        </div>
        <div>
          <dt>{t('agreement.versionHash')}</dt>
          <dd>
            <code className="hash" data-testid="agreement-sha256">
              {a.sha256}
            </code>
          </dd>
        </div>
        {a.seal && (
          <div>
            <dt>{t('agreement.seal')}</dt>
            <dd>
              <code className="hash hash--seal" data-testid="agreement-seal">
                {a.seal}
              </code>
              <p className="hint">{t('agreement.sealHint')}</p>
            </dd>
          </div>
        )}
      </dl>

      {mayAct && (
        <PositionControls agreement={a} version={version} me={me} onDone={done} />
      )}
      {a.state === 'open' && !mayAct && !compact && (
        <p className="hint">{me || !actions.includes('endorse') ? t('agreement.notVoter') : t('agreement.notInElectorateNote')}</p>
      )}

      <h4 className="agreement-voters-heading">{t('agreement.voters')}</h4>
      <div className="agreement-sides">
        {VOTING_SIDES.map((side) => (
          <SideVoters key={side} side={side} agreement={a} userId={userId} t={t} />
        ))}
      </div>

      {isFacilitator && a.state === 'open' && (
        <Withdraw agreement={a} title={title} onDone={(r) => done(r, t('agreement.withdrawnDone', { version: title }))} />
      )}
    </section>
  );
}

function SideVoters({ side, agreement: a, userId, t }: { side: VotingSide; agreement: Agreement; userId: string | undefined; t: TFunction }) {
  const { formatDate } = useI18n();
  const p = a.progress[side];
  const voters = a.voters.filter((v) => v.side === side);
  const headingId = useId();
  return (
    <section className={`agreement-side agreement-side--${side}`} aria-labelledby={headingId} data-testid={`agreement-side-${side}`}>
      <h5 id={headingId}>
        <SideBadge side={side}>{t(`side.${side}`)}</SideBadge>{' '}
        <span className="agreement-side-progress">{t('agreement.sideCount', { count: p.endorse, total: p.electorate })}</span>{' '}
        <span className={p.satisfied ? 'agreement-met' : 'muted'}>
          ({p.satisfied ? t('agreement.sideSatisfied') : t('agreement.sideNeeded', { count: needed(a.rule.quorum, p.electorate) })})
        </span>
      </h5>
      <p className="hint">{t('agreement.sideCounts', { endorse: p.endorse, object: p.object, abstain: p.abstain })}</p>
      <ul className="voters">
        {voters.map((v) => (
          <VoterItem key={v.user_id} voter={v} isMe={v.user_id === userId} t={t} formatDate={formatDate} />
        ))}
      </ul>
    </section>
  );
}

function VoterItem({ voter: v, isMe, t, formatDate }: { voter: Voter; isMe: boolean; t: TFunction; formatDate: (iso: string) => string }) {
  const position = v.position ?? 'none';
  return (
    <li className="voter" data-testid="voter" data-position={position}>
      <p className="voter-line">
        <strong>{v.display_name}</strong> {isMe && <span className="muted">{t('rt.you')}</span>}
        {v.organisation && (
          <span className="org">
            <span className="visually-hidden">{t('rt.organisation')}: </span>
            {v.organisation}
          </span>
        )}
        <span className={`position position--${position}`}>{t(`agreement.position.${position}`)}</span>
        {v.at && (
          <span className="muted voter-at">
            <time dateTime={v.at}>{formatDate(v.at)}</time>
          </span>
        )}
      </p>
      {v.reason && (
        <blockquote className="voter-reason">
          <span className="visually-hidden">{t('agreement.reason')}: </span>
          {v.reason}
        </blockquote>
      )}
    </li>
  );
}

/** Endorse / Object (with its reason) / Abstain, for a voter of an open agreement. */
function PositionControls({
  agreement: a,
  version,
  me,
  onDone,
}: {
  agreement: Agreement;
  version: VersionRef;
  me: Voter | undefined;
  onDone: (result: Agreement, msg: string) => void;
}) {
  const { t } = useI18n();
  const uid = useId();
  const [objecting, setObjecting] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonErr, setReasonErr] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Position | null>(null);
  const objectButton = useRef<HTMLButtonElement>(null);
  const reasonBox = useRef<HTMLDivElement>(null);
  const focusReason = () => reasonBox.current?.querySelector('textarea')?.focus();
  const title = versionTitle(version, t);

  useEffect(() => {
    if (objecting) focusReason();
  }, [objecting]);

  async function take(position: Position, why?: string) {
    if (busy) return;
    setBusy(position);
    setError(null);
    try {
      // The hash of the version on screen — not the agreement's — so the server catches a mismatch.
      const result = await agreementsApi.position(a.id, { position, sha256: version.sha256, ...(why ? { reason: why } : {}) });
      setObjecting(false);
      setReason('');
      setBusy(null);
      onDone(result, t(`agreement.done.${position}`, { version: title }));
    } catch (err) {
      setError(agreementError(err, t));
      setBusy(null);
    }
  }

  function onObject(e: FormEvent) {
    e.preventDefault();
    const key = reasonError(reason);
    if (key) {
      setReasonErr(t(key));
      requestAnimationFrame(focusReason);
      return;
    }
    setReasonErr(undefined);
    void take('object', reason.trim());
  }

  return (
    <div className="agreement-act" role="group" aria-labelledby={`${uid}-h`} data-testid="position-controls">
      <h4 id={`${uid}-h`}>{t('agreement.takePosition', { version: title })}</h4>
      <p>{me?.position ? t('agreement.yourPosition', { position: t(`agreement.position.${me.position}`) }) : t('agreement.yourPositionNone')}</p>
      <Alert message={error} />
      <div className="actions agreement-buttons">
        <button type="button" className="primary endorse-button" onClick={() => void take('endorse')} aria-disabled={!!busy || undefined} data-testid="endorse">
          {endorseLabel(version, t)}
        </button>
        <button
          type="button"
          ref={objectButton}
          onClick={() => setObjecting((o) => !o)}
          aria-expanded={objecting}
          aria-controls={objecting ? `${uid}-object` : undefined}
          aria-disabled={!!busy || undefined}
        >
          {t('agreement.object')}
        </button>
        <button type="button" onClick={() => void take('abstain')} aria-disabled={!!busy || undefined}>
          {t('agreement.abstain')}
        </button>
      </div>
      {objecting && (
        <form id={`${uid}-object`} className="objection-form" onSubmit={onObject} noValidate>
          <div ref={reasonBox}>
          <TextAreaField
            label={t('agreement.objectionReason')}
            hint={t('agreement.objectionHint')}
            name="reason"
            rows={3}
            required
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            error={reasonErr}
          />
          </div>
          <div className="actions">
            <button type="submit" className="danger" aria-disabled={!!busy || undefined}>
              {t('agreement.sendObjection')}
            </button>
            <button
              type="button"
              onClick={() => {
                setObjecting(false);
                setReasonErr(undefined);
                requestAnimationFrame(() => objectButton.current?.focus());
              }}
            >
              {t('agreement.cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

/** Withdraw, confirmed in place (focus on Cancel, the safe choice). */
function Withdraw({ agreement: a, title, onDone }: { agreement: Agreement; title: string; onDone: (a: Agreement) => void }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (asking) cancelRef.current?.focus();
  }, [asking]);

  async function confirm() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await agreementsApi.withdraw(a.id));
    } catch (err) {
      setError(agreementError(err, t));
      setBusy(false);
    }
  }

  return (
    <div className="agreement-withdraw">
      <Alert message={error} />
      {asking ? (
        <div role="group" aria-label={t('agreement.withdraw')}>
          <p>{t('agreement.withdrawConfirm', { version: title })}</p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirm} aria-disabled={busy || undefined}>
              {t('agreement.withdrawYes')}
            </button>
            <button
              type="button"
              ref={cancelRef}
              onClick={() => {
                setAsking(false);
                requestAnimationFrame(() => askRef.current?.focus());
              }}
            >
              {t('agreement.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <button type="button" ref={askRef} className="danger" onClick={() => setAsking(true)}>
          {t('agreement.withdraw')}
        </button>
      )}
    </div>
  );
}
