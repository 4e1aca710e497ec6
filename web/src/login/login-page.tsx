import { useState } from 'preact/hooks';
import { ApiError, errorText, post, setCsrfToken } from '../api.js';

/** The user name and password form; on success the shell loads the session. */
export function LoginPage(props: { onLogin: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await post<{ csrfToken: string }>('/api/auth/login', { username, password });
      setCsrfToken(res.csrfToken);
      props.onLogin();
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.status === 401) setError('Wrong user name or password.');
      else if (err instanceof ApiError && err.status === 429) {
        const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : ' Try again later.';
        setError(`Too many failed attempts.${wait}`);
      } else setError(`Could not log in: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit}>
        <h1>NVR</h1>
        <label>
          User name
          <input name="username" autocomplete="username" autoFocus required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p class="muted hint">First start? User <code>admin</code>; its password was printed once in the NVR's log.</p>
      </form>
    </main>
  );
}
