import { PageHeading, useTitle } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';

export function NotFound() {
  const { t } = useI18n();
  useTitle(t('notFound.title'));
  return (
    <>
      <PageHeading>{t('notFound.title')}</PageHeading>
      <p>{t('notFound.body')}</p>
      <p>
        <Link to="/">{t('notFound.home')}</Link>
      </p>
    </>
  );
}
