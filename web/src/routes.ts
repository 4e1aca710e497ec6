/**
 * Hash routes (#/live, #/timeline/cam1?day=2026-11-25&at=...): the server
 * only ever serves index.html at /, and a route is a link anyone can share.
 */
export interface Route {
  /** first path part: live | timeline | events | cameras */
  page: string;
  /** the rest of the path, decoded */
  params: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path, qs = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...params] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: page || 'live', params, query: new URLSearchParams(qs) };
}

export function href(page: string, params: string[] = [], query: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const path = [page, ...params].map(encodeURIComponent).join('/');
  return `#/${path}${q.size ? `?${q}` : ''}`;
}
