// The collaborative editor. Loaded lazily (see App.tsx): TipTap, ProseMirror and Yjs stay out of the main bundle.
import { useEffect, useState } from 'react';
import { api, ApiError, errorMessage } from '../api';
import { useAuth } from '../auth';
import { Alert, PageHeading, SideBadge, useTitle } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { AccordDocument } from '../types';
import { CollabEditor } from './CollabEditor';
import { HistoryLayout } from './HistoryPanel';
import { useMyActions } from './useMyActions';

export function DocumentPage({ id }: { id: string }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const [doc, setDoc] = useState<AccordDocument | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const actions = useMyActions(doc?.roundtable_id);
  const notFound = loadError instanceof ApiError && (loadError.status === 404 || loadError.status === 403);
  useTitle(doc ? doc.title : notFound ? t('doc.notFound') : t('common.loading'));

  useEffect(() => {
    let cancelled = false;
    setDoc(null);
    setLoadError(null);
    api<AccordDocument>('GET', `/documents/${encodeURIComponent(id)}`)
      .then((d) => !cancelled && setDoc(d))
      .catch((e) => !cancelled && setLoadError(e));
    return () => {
      cancelled = true;
    };
  }, [id]);

  if (loadError) {
    return (
      <>
        <PageHeading>{notFound ? t('doc.notFound') : t('common.error')}</PageHeading>
        {!notFound && <Alert message={errorMessage(loadError, t)} />}
        <p>
          <Link to="/">{t('rt.back')}</Link>
        </p>
      </>
    );
  }
  if (!doc || !user) return <PageHeading>{t('common.loading')}</PageHeading>;

  const base = `/api/v1/documents/${encodeURIComponent(doc.id)}`;
  return (
    <>
      <p className="breadcrumb">
        <Link to={`/roundtables/${encodeURIComponent(doc.roundtable_id)}#documents`}>{t('doc.back')}</Link>
      </p>
      <PageHeading>{doc.title}</PageHeading>
      <dl className="meta">
        <div>
          <dt>{t('doc.kind')}</dt>
          <dd>{t(`docKind.${doc.kind}`)}</dd>
        </div>
        <div>
          <dt>{t('doc.mySide')}</dt>
          <dd>
            <SideBadge side={doc.my_side}>{t(`side.${doc.my_side}`)}</SideBadge>
          </dd>
        </div>
        <div>
          <dt>{t('doc.download')}</dt>
          <dd className="downloads">
            <a href={`${base}/markdown`} download>
              {t('doc.markdown')}
            </a>
            <a href={`${base}/html`} download>
              {t('doc.html')}
            </a>
          </dd>
        </div>
      </dl>
      {doc.archived && <p className="alert alert--info">{t('doc.archivedNotice')}</p>}
      {!doc.can_edit && <p className="alert alert--info" data-testid="read-only-notice">{t('doc.readOnly')}</p>}
      <HistoryLayout doc={doc} actions={actions}>
        <CollabEditor key={doc.id} doc={doc} userName={user.display_name} />
      </HistoryLayout>
    </>
  );
}
