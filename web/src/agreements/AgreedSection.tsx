/**
 * The roundtable's agreed texts (`GET /roundtables/{id}/agreed`), newest first, each with its seal
 * and downloads (Markdown, HTML, Word, PDF; the header and agreement page in the reader's language).
 * An agreement reached while the page is open appears at once (the event socket) and is announced.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { agreementsApi, errorMessage, EXPORT_FORMATS, versionExportUrl } from '../api';
import { Alert } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { Agreed } from '../types';
import { progressText, versionTitle } from './logic';
import { useAgreements } from './useAgreements';
import './agreements.css';

export function AgreedSection({ roundtableId }: { roundtableId: string }) {
  const { t, lang, formatDate } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  const [items, setItems] = useState<Agreed[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems(await agreementsApi.agreed(roundtableId));
      setLoadError(null);
    } catch (e) {
      setLoadError(`${tRef.current('agreed.loadFailed')} ${errorMessage(e, tRef.current)}`);
      setItems((prev) => prev ?? []);
    }
  }, [roundtableId]);

  useEffect(() => {
    void load();
  }, [load]);

  const room = useAgreements(roundtableId, t, {
    quiet: true,
    onChange: (next, prev) => {
      if (next.state !== 'agreed' && prev?.state !== 'agreed') return;
      void load();
      if (next.state === 'agreed' && prev?.state !== 'agreed') {
        room.announce(tRef.current('agreement.announce.agreed', {
          version: versionTitle({ number: next.version_number, name: next.version_name }, tRef.current),
          progress: progressText(next.progress, tRef.current),
        }));
      }
    },
  });

  return (
    <section id="agreed" aria-labelledby="agreed-heading" className="rt-section" data-testid="agreed-section">
      <h2 id="agreed-heading" tabIndex={-1}>
        {t('agreed.heading')}
      </h2>
      <p role="status" className="visually-hidden" data-testid="agreed-announcer">
        {room.announcement}
      </p>
      <Alert message={loadError} />
      {items === null ? (
        <p>{t('common.loading')}</p>
      ) : items.length === 0 ? (
        !loadError && <p className="muted">{t('agreed.empty')}</p>
      ) : (
        <>
          <p className="hint">{t('agreed.intro')}</p>
          <ol className="agreed-list">
            {items.map(({ agreement: a, version: v, document_title }) => {
              const version = versionTitle(v, t);
              return (
                <li key={a.id} className="agreed-item" data-testid="agreed-item" data-version={v.id}>
                  <h3 className="agreed-title">
                    <Link to={`/documents/${encodeURIComponent(v.document_id)}`}>{document_title}</Link>{' '}
                    <span className="agreed-version">{version}</span>
                  </h3>
                  <p className="agreed-meta">
                    <span className="agreement-badge agreement-badge--agreed">
                      <span aria-hidden="true">✓ </span>
                      {t('agreement.badge.agreed')}
                    </span>{' '}
                    {a.decided_at && <time dateTime={a.decided_at}>{formatDate(a.decided_at)}</time>}{' '}
                    <span>{progressText(a.progress, t)}</span>
                  </p>
                  {a.seal && (
                    <dl className="agreement-facts">
                      <div>
                        <dt>{t('agreement.seal')}</dt>
                        <dd>
                          <code className="hash hash--seal" data-testid="agreed-seal">
                            {a.seal}
                          </code>
                        </dd>
                      </div>
                    </dl>
                  )}
                  <div className="agreed-downloads" role="group" aria-label={`${t('agreed.downloads')} ${t('agreed.downloadOf', { document: document_title, version })}`}>
                    <span className="agreed-downloads-label" aria-hidden="true">
                      {t('agreed.downloads')}:
                    </span>
                    {EXPORT_FORMATS.map((f) => (
                      <a key={f} className="button" href={versionExportUrl(v.id, f, lang)} download data-format={f}>
                        {t(`agreed.format.${f}`)}
                        <span className="visually-hidden"> {t('agreed.downloadOf', { document: document_title, version })}</span>
                      </a>
                    ))}
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}
