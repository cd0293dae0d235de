import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api';
import { Alert, PageHeading, SideBadge, useTitle } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { Roundtable } from '../types';

export function Home() {
  const { t } = useI18n();
  useTitle(t('home.title'));
  const [items, setItems] = useState<Roundtable[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    api<Roundtable[]>('GET', '/roundtables')
      .then((rts) => !cancelled && setItems(rts))
      .catch((e) => !cancelled && setError(e));
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <>
      <PageHeading>{t('home.title')}</PageHeading>
      <p>
        <Link to="/roundtables/new" className="button primary">
          {t('home.create')}
        </Link>
      </p>
      {error ? <Alert message={errorMessage(error, t)} /> : null}
      {!items && !error && <p role="status">{t('common.loading')}</p>}
      {items && items.length === 0 && <p>{t('home.empty')}</p>}
      {items && items.length > 0 && (
        <ul className="cards">
          {items.map((rt) => (
            <li key={rt.id} className={`card card--${rt.my_side}`}>
              <h2>
                <Link to={`/roundtables/${encodeURIComponent(rt.id)}`}>{rt.title}</Link>
              </h2>
              <dl className="meta">
                <div>
                  <dt>{t('home.theme')}</dt>
                  <dd>{t(`theme.${rt.theme}`)}</dd>
                </div>
                <div>
                  <dt>{t('home.mySide')}</dt>
                  <dd>
                    <SideBadge side={rt.my_side}>{t(`side.${rt.my_side}`)}</SideBadge>
                  </dd>
                </div>
                <div>
                  <dt>{t('home.myRole')}</dt>
                  <dd>{t(`role.${rt.my_role}`)}</dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
