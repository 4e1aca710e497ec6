import { useEffect, useState } from 'preact/hooks';
import { get, onUnauthenticated, setCsrfToken } from './api.js';
import { href, useRoute } from './router.js';
import { LivePage } from './live/live-page.js';
import { TimelinePage } from './timeline/timeline-page.js';
import { EventsPage } from './events/events-page.js';
import { CamerasPage } from './cameras/cameras-page.js';
import { LoginPage } from './login/login-page.js';

export interface Session {
  user: { name: string; role: 'viewer' | 'admin' };
  csrfToken: string | null;
  authEnabled: boolean;
}

const PAGES = [
  ['live', 'Live'],
  ['timeline', 'Timeline'],
  ['events', 'Events'],
  ['cameras', 'Cameras'],
] as const;

/** The shell: asks who is logged in, then shows the navigation and the page the hash names. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  const loadSession = () =>
    get<Session>('/api/auth/session')
      .then((s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      })
      .catch(() => setSession(null));
  useEffect(() => {
    void loadSession();
    return onUnauthenticated(() => setSession(null));
  }, []);

  if (session === undefined) return null;
  if (session === null) return <LoginPage onLogin={() => void loadSession()} />;

  return (
    <div class="shell">
      <nav class="nav">
        {PAGES.map(([page, label]) => (
          <a key={page} href={href(page)} class={route.page === page ? 'active' : ''}>
            {label}
          </a>
        ))}
      </nav>
      <main class="page">
        {route.page === 'live' && <LivePage />}
        {route.page === 'timeline' && <TimelinePage route={route} />}
        {route.page === 'events' && <EventsPage route={route} />}
        {route.page === 'cameras' && <CamerasPage session={session} />}
      </main>
    </div>
  );
}
