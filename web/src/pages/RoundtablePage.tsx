import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { useAuth } from '../auth';
import { Alert, PageHeading, SelectField, SideBadge, useTitle } from '../components';
import { useFormState } from '../forms';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { AgreedSection } from '../agreements/AgreedSection';
import { activityPath } from './ActivityPage';
import { DocumentsSection } from './DocumentsSection';
import { PollsSection } from './PollsSection';
import { SectionNav } from './SectionNav';
import { can, ROLES, SIDES, type Invitation, type Participant, type Role, type Roundtable, type Side } from '../types';

const POLL_MS = 5000;

export function RoundtablePage({ id }: { id: string }) {
  const { t, formatDate } = useI18n();
  const { user } = useAuth();
  const [rt, setRt] = useState<Roundtable | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [participants, setParticipants] = useState<Participant[] | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const participantsHeading = useRef<HTMLHeadingElement>(null);

  const notFound = loadError instanceof ApiError && (loadError.status === 404 || loadError.status === 403);
  useTitle(rt ? rt.title : notFound ? t('rt.notFound') : t('common.loading'));

  useEffect(() => {
    let cancelled = false;
    setRt(null);
    setLoadError(null);
    api<Roundtable>('GET', `/roundtables/${encodeURIComponent(id)}`)
      .then((r) => !cancelled && setRt(r))
      .catch((e) => !cancelled && setLoadError(e));
    return () => {
      cancelled = true;
    };
  }, [id]);

  const loadParticipants = useCallback(async () => {
    try {
      const list = await api<Participant[]>('GET', `/roundtables/${encodeURIComponent(id)}/participants`);
      setParticipants(list);
    } catch {
      /* keep the last known list; the next poll retries */
    }
  }, [id]);

  useEffect(() => {
    if (!rt) return;
    let inFlight = false;
    const tick = async () => {
      if (inFlight) return;
      inFlight = true;
      await loadParticipants();
      inFlight = false;
    };
    void tick();
    const timer = window.setInterval(tick, POLL_MS);
    return () => window.clearInterval(timer);
  }, [rt, loadParticipants]);

  const isFacilitator = can(rt, 'manage_participants');

  async function changeRole(p: Participant, role: Role) {
    setActionError(null);
    try {
      const updated = await api<Participant>(
        'PATCH',
        `/roundtables/${encodeURIComponent(id)}/participants/${encodeURIComponent(p.user_id)}`,
        { role },
      );
      setParticipants((list) => list?.map((x) => (x.user_id === p.user_id ? { ...x, ...updated } : x)) ?? list);
      setAnnouncement(t('rt.roleChanged', { name: p.display_name, role: t(`role.${role}`) }));
    } catch (e) {
      setActionError(errorMessage(e, t));
      void loadParticipants();
    }
  }

  async function remove(p: Participant) {
    if (!window.confirm(t('rt.confirmRemove', { name: p.display_name }))) return;
    setActionError(null);
    try {
      await api<void>('DELETE', `/roundtables/${encodeURIComponent(id)}/participants/${encodeURIComponent(p.user_id)}`);
      setParticipants((list) => list?.filter((x) => x.user_id !== p.user_id) ?? list);
      setAnnouncement(t('rt.removed', { name: p.display_name }));
      participantsHeading.current?.focus();
    } catch (e) {
      setActionError(errorMessage(e, t));
    }
  }

  if (loadError) {
    return (
      <>
        <PageHeading>{notFound ? t('rt.notFound') : t('common.error')}</PageHeading>
        {!notFound && <Alert message={errorMessage(loadError, t)} />}
        <p>
          <Link to="/">{t('rt.back')}</Link>
        </p>
      </>
    );
  }
  if (!rt) {
    return (
      <>
        <PageHeading>{t('common.loading')}</PageHeading>
      </>
    );
  }

  return (
    <>
      <PageHeading>{rt.title}</PageHeading>
      <SectionNav
        label={t('rt.sections')}
        sections={[
          { id: 'overview', label: t('rt.overview') },
          { id: 'agreed', label: t('agreed.heading') },
          { id: 'documents', label: t('docs.heading') },
          { id: 'polls', label: t('polls.heading') },
          { id: 'questions', label: t('qa.heading') },
          { id: 'people', label: t('rt.participants') },
        ]}
      />

      <section id="overview" aria-labelledby="overview-heading" className="rt-section">
        <h2 id="overview-heading" tabIndex={-1}>
          {t('rt.overview')}
        </h2>
        <dl className="meta">
          <div>
            <dt>{t('rt.theme')}</dt>
            <dd>{t(`theme.${rt.theme}`)}</dd>
          </div>
          <div>
            <dt>{t('rt.mySide')}</dt>
            <dd>
              <SideBadge side={rt.my_side}>{t(`side.${rt.my_side}`)}</SideBadge>
            </dd>
          </div>
          <div>
            <dt>{t('rt.myRole')}</dt>
            <dd>{t(`role.${rt.my_role}`)}</dd>
          </div>
          <div>
            <dt>{t('rt.created')}</dt>
            <dd>
              <time dateTime={rt.created_at}>{formatDate(rt.created_at)}</time>
            </dd>
          </div>
        </dl>
        <h3 className="visually-hidden">{t('rt.description')}</h3>
        {rt.description ? <p className="description">{rt.description}</p> : <p>{t('rt.noDescription')}</p>}
        <p>
          <Link to={activityPath(id)} data-testid="activity-link">
            {t('activity.link')}
          </Link>
        </p>
      </section>

      <AgreedSection roundtableId={id} />

      <DocumentsSection roundtableId={id} canCreate={can(rt, 'edit_documents')} />

      {/* Two sections: polls and live session (#polls), then questions (#questions). */}
      <PollsSection rt={rt} />

      <section id="people" aria-labelledby="participants-heading" className="rt-section">
        <h2 id="participants-heading" ref={participantsHeading} tabIndex={-1}>
          {t('rt.participants')}
        </h2>
        <p role="status" className="visually-hidden">
          {announcement}
        </p>
        <Alert message={actionError} />
        {!participants && <p>{t('common.loading')}</p>}
        {participants && (
          <div className="sides">
            {SIDES.map((side) => (
              <SideGroup
                key={side}
                side={side}
                participants={participants.filter((p) => p.side === side)}
                meId={user?.id}
                canManage={isFacilitator}
                onRole={changeRole}
                onRemove={remove}
              />
            ))}
          </div>
        )}
        {can(rt, 'invite') && <InviteForm roundtableId={id} />}
      </section>
    </>
  );
}

function SideGroup(props: {
  side: Side;
  participants: Participant[];
  meId: string | undefined;
  canManage: boolean;
  onRole: (p: Participant, r: Role) => void;
  onRemove: (p: Participant) => void;
}) {
  const { t } = useI18n();
  const { side, participants, meId, canManage, onRole, onRemove } = props;
  const headingId = `side-${side}`;
  return (
    <section className={`side side--${side}`} aria-labelledby={headingId} data-side={side}>
      <h3 id={headingId}>
        <SideBadge side={side}>{t(`side.${side}`)}</SideBadge>
      </h3>
      {participants.length === 0 ? (
        <p className="muted">{t('rt.noParticipants')}</p>
      ) : (
        <ul className="participants">
          {participants.map((p) => {
            const isMe = p.user_id === meId;
            const selectId = `role-${p.user_id}`;
            return (
              <li key={p.user_id} className="participant" data-testid="participant">
                <div className="participant-main">
                  <strong>{p.display_name}</strong> {isMe && <span className="muted">{t('rt.you')}</span>}
                  {p.organisation ? (
                    <div>
                      <span className="visually-hidden">{t('rt.organisation')}: </span>
                      <span className="org">{p.organisation}</span>
                    </div>
                  ) : null}
                </div>
                {canManage && !isMe ? (
                  <div className="participant-actions">
                    <label htmlFor={selectId} className="visually-hidden">
                      {t('rt.roleFor', { name: p.display_name })}
                    </label>
                    <select id={selectId} value={p.role} onChange={(e) => onRole(p, e.target.value as Role)}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {t(`role.${r}`)}
                        </option>
                      ))}
                    </select>
                    <button type="button" className="danger" onClick={() => onRemove(p)}>
                      {t('rt.remove')}
                      <span className="visually-hidden"> {p.display_name}</span>
                    </button>
                  </div>
                ) : (
                  <div className="participant-role">
                    <span className="visually-hidden">{t('rt.role')}: </span>
                    {t(`role.${p.role}`)}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function InviteForm({ roundtableId }: { roundtableId: string }) {
  const { t, formatDate } = useI18n();
  const [side, setSide] = useState<Side>('employer');
  const [role, setRole] = useState<Role>('member');
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [copyStatus, setCopyStatus] = useState('');
  const form = useFormState(t);
  const linkRef = useRef<HTMLInputElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    setCopyStatus('');
    await form.run(async () => {
      const inv = await api<Invitation>('POST', `/roundtables/${encodeURIComponent(roundtableId)}/invitations`, { side, role });
      setInvitation(inv);
    });
  }

  useEffect(() => {
    if (invitation) linkRef.current?.focus();
  }, [invitation]);

  async function copy() {
    if (!invitation) return;
    setCopyStatus('');
    let ok = false;
    try {
      await navigator.clipboard.writeText(invitation.url);
      ok = true;
    } catch {
      // Fallback for browsers without the async clipboard API.
      const input = linkRef.current;
      if (input) {
        input.select();
        try {
          ok = document.execCommand('copy');
        } catch {
          ok = false;
        }
      }
    }
    setCopyStatus(ok ? t('invite.copied') : t('invite.copyFailed'));
  }

  return (
    <section aria-labelledby="invite-heading" className="panel">
      <h3 id="invite-heading">{t('invite.heading')}</h3>
      <form onSubmit={onSubmit} noValidate className="inline-form">
        <Alert message={form.formError} />
        <SelectField label={t('invite.side')} name="side" value={side} onChange={(e) => setSide(e.target.value as Side)} error={form.fieldErrors.side}>
          {SIDES.map((s) => (
            <option key={s} value={s}>
              {t(`side.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('invite.role')} name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={form.fieldErrors.role}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
          {t('invite.create')}
        </button>
      </form>
      {invitation && (
        <div className="invite-result">
          <label htmlFor="invite-link">
            {t('invite.link')} ({t(`side.${invitation.side}`)}, {t(`role.${invitation.role}`)})
          </label>
          <p id="invite-link-help" className="hint">
            {t('invite.help')} {t('invite.expires', { date: formatDate(invitation.expires_at) })}
          </p>
          <div className="copy-row">
            <input
              id="invite-link"
              ref={linkRef}
              type="text"
              readOnly
              value={invitation.url}
              aria-describedby="invite-link-help"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button type="button" onClick={copy}>
              {t('invite.copy')}
            </button>
          </div>
        </div>
      )}
      <p role="status" aria-live="polite" className="copy-status">
        {copyStatus}
      </p>
    </section>
  );
}
