import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, get, onUnauthenticated, post, setCsrfToken } from './api.js';
import { href, useRoute } from './router.js';
import { LivePage } from './live/live-page.js';
import { TimelinePage } from './timeline/timeline-page.js';
import { EventsPage } from './events/events-page.js';
import { CamerasPage } from './cameras/cameras-page.js';
import { LoginPage } from './login/login-page.js';
import { startMotionFeed } from './components/motion-feed.js';
import { MotionToasts } from './components/toasts.js';
import type { CameraStatus } from './components/use-cameras.js';

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

/** The shell: asks who is logged in, then shows the navigation, the motion toasts and the page the hash names. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);

  const loadSession = () =>
    get<Session>('/api/auth/session')
      .then((s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
        setLoadError(null);
      })
      .catch((err) => {
        setSession(null);
        if (!(err?.status === 401)) setLoadError(errorText(err));
      });
  useEffect(() => {
    void loadSession();
    return onUnauthenticated(() => setSession(null));
  }, []);

  // the motion stream runs while someone is logged in, whatever the page
  useEffect(() => (session ? startMotionFeed() : undefined), [session]);

  // camera names for the toasts, without a poll of their own
  const names = useRef(new Map<string, string>());
  useEffect(() => {
    if (!session) return;
    get<CameraStatus[]>('/api/cameras')
      .then((list) => list.forEach((c) => names.current.set(c.id, c.name)))
      .catch(() => {});
  }, [session, route.page]);
  const cameraName = useCallback((id: string) => names.current.get(id) ?? id, []);

  const logout = async () => {
    await post('/api/auth/logout').catch(() => {});
    setCsrfToken(null);
    setSession(null);
  };

  if (session === undefined) return null;
  if (session === null) {
    return (
      <>
        {loadError && <p class="error banner">The NVR cannot be reached: {loadError}</p>}
        <LoginPage onLogin={() => void loadSession()} />
      </>
    );
  }

  return (
    <div class="shell">
      <nav class="nav">
        <span class="brand">NVR</span>
        {PAGES.map(([page, label]) => (
          <a key={page} href={href(page)} class={route.page === page ? 'active' : ''}>
            {label}
          </a>
        ))}
        <span class="spacer" />
        <span class="user" title={`role: ${session.user.role}`} data-testid="user">
          {session.user.name}
        </span>
        {session.authEnabled && (
          <button type="button" class="small" onClick={logout}>
            Log out
          </button>
        )}
      </nav>
      <main class="page">
        {route.page === 'live' && <LivePage route={route} />}
        {route.page === 'timeline' && <TimelinePage route={route} />}
        {route.page === 'events' && <EventsPage route={route} />}
        {route.page === 'cameras' && <CamerasPage session={session} route={route} />}
      </main>
      <MotionToasts cameraName={cameraName} />
    </div>
  );
}
