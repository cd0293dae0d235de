import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { safeNext } from './api';
import { useAuth } from './auth';
import { LANGS, useI18n, type Lang } from './i18n';
import { Link, matchPath, navigate, useLocation } from './router';
import { ActivityPage } from './pages/ActivityPage';
import { Home } from './pages/Home';
import { InvitePage } from './pages/InvitePage';
import { NewRoundtable } from './pages/NewRoundtable';
import { NotFound } from './pages/NotFound';
import { RoundtablePage } from './pages/RoundtablePage';
import { SignIn } from './pages/SignIn';
import { SignUp } from './pages/SignUp';

// The editor (TipTap, ProseMirror, Yjs) is by far the largest part of the app: load it on demand.
const DocumentPage = lazy(() => import('./pages/DocumentPage').then((m) => ({ default: m.DocumentPage })));
// The presenter view is only used on the projector: keep it out of the entry chunk too.
const PresenterPage = lazy(() => import('./pages/PresenterPage').then((m) => ({ default: m.PresenterPage })));

function Header() {
  const { t, lang, setLang } = useI18n();
  const { user, signOut } = useAuth();
  const { pathname } = useLocation();
  const current = (path: string) => (pathname === path ? ('page' as const) : undefined);

  async function onSignOut() {
    await signOut();
    navigate('/signin');
  }

  return (
    <header className="site-header">
      <a href="#main" className="skip-link">
        {t('skip')}
      </a>
      <div className="header-inner">
        <Link to="/" className="brand">
          {t('app.name')}
        </Link>
        <nav aria-label={t('nav.label')}>
          <ul>
            {user ? (
              <>
                <li>
                  <Link to="/" aria-current={current('/')}>
                    {t('nav.home')}
                  </Link>
                </li>
                <li>
                  <Link to="/roundtables/new" aria-current={current('/roundtables/new')}>
                    {t('nav.new')}
                  </Link>
                </li>
              </>
            ) : user === null ? (
              <>
                <li>
                  <Link to="/signin" aria-current={current('/signin')}>
                    {t('nav.signin')}
                  </Link>
                </li>
                <li>
                  <Link to="/signup" aria-current={current('/signup')}>
                    {t('nav.signup')}
                  </Link>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
        <div className="header-tools">
          {user && (
            <div className="user">
              <span className="user-name">{t('header.signedInAs', { name: user.display_name })}</span>
              <button type="button" onClick={onSignOut}>
                {t('nav.signout')}
              </button>
            </div>
          )}
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
        </div>
      </div>
    </header>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  const { href } = useLocation();
  useEffect(() => {
    if (user === null) navigate(`/signin?next=${encodeURIComponent(href)}`, { replace: true });
  }, [user, href]);
  if (!user) return <p role="status">{t('common.loading')}</p>;
  return <>{children}</>;
}

/** Signed-in users visiting /signin or /signup go straight to `next`. */
function GuestOnly({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { search } = useLocation();
  useEffect(() => {
    if (user) navigate(safeNext(search.get('next')), { replace: true });
  }, [user, search]);
  return <>{children}</>;
}

function LoadingPage() {
  const { t } = useI18n();
  return <p role="status">{t('common.loading')}</p>;
}

function Routes() {
  const { pathname } = useLocation();
  let m: Record<string, string> | null;
  if (pathname === '/signin') return <GuestOnly><SignIn /></GuestOnly>;
  if (pathname === '/signup') return <GuestOnly><SignUp /></GuestOnly>;
  if (pathname === '/') return <RequireAuth><Home /></RequireAuth>;
  if (pathname === '/roundtables/new') return <RequireAuth><NewRoundtable /></RequireAuth>;
  if ((m = matchPath('/roundtables/:id', pathname)))
    return <RequireAuth><RoundtablePage key={m.id} id={m.id} /></RequireAuth>;
  if ((m = matchPath('/roundtables/:id/activity', pathname)))
    return <RequireAuth><ActivityPage key={m.id} id={m.id} /></RequireAuth>;
  if ((m = matchPath('/documents/:id', pathname)))
    return (
      <RequireAuth>
        <Suspense fallback={<LoadingPage />}>
          <DocumentPage key={m.id} id={m.id} />
        </Suspense>
      </RequireAuth>
    );
  if ((m = matchPath('/invite/:token', pathname))) return <InvitePage key={m.token} token={m.token} />;
  return <NotFound />;
}

export function App() {
  const { pathname } = useLocation();
  const present = matchPath('/roundtables/:id/present', pathname);
  if (present) {
    // Full-screen presenter layout: no site header.
    return (
      <main id="main" className="presenter-main" tabIndex={-1}>
        <RequireAuth>
          <Suspense fallback={<LoadingPage />}>
            <PresenterPage key={present.id} id={present.id} />
          </Suspense>
        </RequireAuth>
      </main>
    );
  }
  return (
    <>
      <Header />
      <main id="main" tabIndex={-1}>
        <Routes />
      </main>
    </>
  );
}
