import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { useAuth } from '../auth';
import { Alert, PageHeading, SideBadge, TextField, focusFirstInvalid, useTitle } from '../components';
import { useFormState } from '../forms';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import type { AcceptResult, InvitationPreview } from '../types';

export function InvitePage({ token }: { token: string }) {
  const { t, formatDate } = useI18n();
  const { user } = useAuth();
  useTitle(t('accept.title'));
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [organisation, setOrganisation] = useState('');
  const [already, setAlready] = useState(false);
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    let cancelled = false;
    api<InvitationPreview>('GET', `/invitations/${encodeURIComponent(token)}`)
      .then((p) => !cancelled && setPreview(p))
      .catch((e) => !cancelled && setLoadError(e));
    return () => {
      cancelled = true;
    };
  }, [token]);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    if (!form.validate(organisation.trim() ? {} : { organisation: t('validation.required') })) {
      return focusFirstInvalid(formRef.current);
    }
    let result: AcceptResult | null = null;
    let conflict = false;
    const ok = await form.run(async () => {
      try {
        result = await api<AcceptResult>('POST', `/invitations/${encodeURIComponent(token)}/accept`, {
          organisation: organisation.trim(),
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          conflict = true;
          return;
        }
        throw err;
      }
    });
    if (conflict) setAlready(true);
    else if (ok && result) navigate(`/roundtables/${encodeURIComponent((result as AcceptResult).roundtable_id)}`);
    else focusFirstInvalid(formRef.current);
  }

  const here = `/invite/${encodeURIComponent(token)}`;

  if (loadError) {
    const status = loadError instanceof ApiError ? loadError.status : 0;
    const msg = status === 404 ? t('accept.notFound') : status === 410 ? t('accept.gone') : errorMessage(loadError, t);
    return (
      <div className="narrow">
        <PageHeading>{t('accept.title')}</PageHeading>
        <Alert message={msg} />
        {user && (
          <p>
            <Link to="/">{t('rt.back')}</Link>
          </p>
        )}
      </div>
    );
  }

  return (
    <div className="narrow">
      <PageHeading>{t('accept.title')}</PageHeading>
      {!preview && <p role="status">{t('common.loading')}</p>}
      {preview && (
        <>
          <p>{t('accept.intro')}</p>
          <p className="invite-title">
            <strong>{preview.roundtable_title}</strong>
          </p>
          <dl className="meta">
            <div>
              <dt>{t('accept.theme')}</dt>
              <dd>{t(`theme.${preview.theme}`)}</dd>
            </div>
            <div>
              <dt>{t('accept.side')}</dt>
              <dd>
                <SideBadge side={preview.side}>{t(`side.${preview.side}`)}</SideBadge>
              </dd>
            </div>
            <div>
              <dt>{t('accept.role')}</dt>
              <dd>{t(`role.${preview.role}`)}</dd>
            </div>
            <div>
              <dt>{t('accept.expires')}</dt>
              <dd>
                <time dateTime={preview.expires_at}>{formatDate(preview.expires_at)}</time>
              </dd>
            </div>
          </dl>

          {user === null && (
            <>
              <p>{t('accept.signedOut')}</p>
              <p className="actions">
                <Link to={`/signin?next=${encodeURIComponent(here)}`} className="button primary">
                  {t('accept.signin')}
                </Link>
                <Link to={`/signup?next=${encodeURIComponent(here)}`} className="button">
                  {t('accept.signup')}
                </Link>
              </p>
            </>
          )}

          {user && already && (
            <div role="alert" className="alert alert--info">
              {t('accept.already')}{' '}
              <Link to={`/roundtables/${encodeURIComponent(preview.roundtable_id)}`}>{t('accept.open')}</Link>
            </div>
          )}

          {user && !already && (
            <form ref={formRef} onSubmit={onSubmit} noValidate>
              <Alert message={form.formError} />
              <TextField
                label={t('accept.organisation')}
                hint={t('accept.organisationHint')}
                name="organisation"
                autoComplete="organization"
                value={organisation}
                onChange={(e) => setOrganisation(e.target.value)}
                error={form.fieldErrors.organisation}
                required
              />
              <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
                {t('accept.submit')}
              </button>
            </form>
          )}
        </>
      )}
    </div>
  );
}
