// The console shell: who is signed in, the public pages (sign-in, terms), and the layout with
// the navigation of the trust areas around the signed-in pages.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from './api';
import { ErrorBanner } from './components/common';
import { findPage, navItems } from './nav';
import { PAGES } from './pages';
import { LoginPage } from './pages/login';
import { TermsPage } from './pages/terms';
import { Link, navigate, usePath } from './router';
import { pendingSetup, SessionContext, type Me } from './session';

type Auth = { state: 'loading' } | { state: 'signed_out' } | { state: 'signed_in'; me: Me } | { state: 'error'; error: unknown };

function Layout({ me, path, onSignOut }: { me: Me; path: string; onSignOut: () => Promise<void> }) {
  const pending = pendingSetup(me);
  const page = pending ? PAGES.find((p) => p.path === '/account') : findPage(PAGES, path);
  const allowed = page && (!page.requires || me.permissions.includes(page.requires));
  const nav = pending ? [] : navItems(PAGES, me.permissions);
  useEffect(() => {
    document.title = page ? `${page.title} · Trust Fabric` : 'Trust Fabric';
  }, [page]);
  const Page = page?.component;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Trust Fabric</span>
        <span className="who" data-testid="who">
          <span className="tenant">{me.tenant.name}</span> · <span className="user">{me.email}</span>
        </span>
        <button type="button" onClick={() => void onSignOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Trust areas" className="sidebar">
        <ul>
          {nav.map((n) => (
            <li key={n.area}>
              <Link to={n.path} aria-current={page?.area === n.area ? 'page' : undefined}>
                {n.area}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {Page && allowed ? (
          <Page />
        ) : (
          <>
            <h1>Not found</h1>
            <p>
              There is no page at {path} for your account. <Link to="/">Go to the dashboard</Link>.
            </p>
          </>
        )}
      </main>
    </div>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

export function App() {
  const path = usePath();
  const [auth, setAuth] = useState<Auth>({ state: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await api<Me>('GET', '/api/auth/me');
      setAuth({ state: 'signed_in', me });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setAuth({ state: 'signed_out' });
      else setAuth({ state: 'error', error: e });
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await api('POST', '/api/auth/logout');
    } finally {
      setAuth({ state: 'signed_out' });
      navigate('/login', true);
    }
  }, []);

  if (path === '/terms') return <TermsPage />;
  if (auth.state === 'loading') return <p className="hint loading">Loading…</p>;
  if (auth.state === 'error') {
    return (
      <main className="login" id="main">
        <div className="card login-card">
          <h1>Trust Fabric</h1>
          <ErrorBanner error={auth.error} />
          <button type="button" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (auth.state === 'signed_out') {
    return (
      <LoginPage
        onSignedIn={async () => {
          await refresh();
          if (window.location.pathname === '/login') navigate('/', true);
        }}
      />
    );
  }
  if (path === '/login') return <Redirect to="/" />;
  return (
    <SessionContext.Provider value={{ me: auth.me, refresh, signOut }}>
      <Layout me={auth.me} path={path} onSignOut={signOut} />
    </SessionContext.Provider>
  );
}
