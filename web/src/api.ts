/**
 * The one way the UI talks to the NVR's JSON API: same-origin fetch with the
 * session cookie, the CSRF token on writes, and errors in the API's
 * {"error":{code,message}} shape turned into ApiError.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** seconds, from Retry-After (429, 503) */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /**
   * The field a validation message names (`recording.segmentSeconds: must be...`
   * → `recording.segmentSeconds`), so a form can show it next to that field.
   */
  get field(): string | null {
    return /^([A-Za-z_][\w.[\]]*):\s/.exec(this.message)?.[1] ?? null;
  }
}

let csrfToken: string | null = null;
const unauthenticatedListeners = new Set<() => void>();

/** Set from GET /api/auth/session and POST /api/auth/login. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the app shows the login page. */
export function onUnauthenticated(fn: () => void): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && !path.startsWith('/api/auth/')) for (const fn of unauthenticatedListeners) fn();
  if (!res.ok) {
    const err = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, err?.error?.code ?? `HTTP_${res.status}`, err?.error?.message ?? res.statusText, retry > 0 ? retry : null);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = (path: string) => api<void>('DELETE', path);

/** What a failed call should say to a person. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message || err.code;
  if (err instanceof TypeError) return 'the NVR cannot be reached';
  return String(err);
}
