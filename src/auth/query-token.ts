/**
 * `?token=<api token>` for players that can only take a URL (VLC, ffplay,
 * <img>). The parameter is cut out of the URL before routing, so it never
 * reaches a log line, and kept on the raw request for the auth hook.
 */
import type { IncomingMessage } from 'node:http';

const QUERY_TOKEN = Symbol('nvr.queryToken');

type WithToken = IncomingMessage & { [QUERY_TOKEN]?: string };

/** fastify's `rewriteUrl`: the URL without any `token` parameter. */
export function stripQueryToken(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0 || !/(^|[?&])token=/.test(url.slice(q))) return url;
  const kept: string[] = [];
  let token: string | undefined;
  for (const part of url.slice(q + 1).split('&')) {
    if (part.startsWith('token=')) {
      if (token === undefined) token = safeDecode(part.slice('token='.length)); // the first one; more is a confused client
    } else if (part !== '') kept.push(part);
  }
  if (token !== undefined) (req as WithToken)[QUERY_TOKEN] = token;
  return url.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '');
}

/** The token stripQueryToken found on this request, if any. */
export function queryToken(req: IncomingMessage): string | undefined {
  return (req as WithToken)[QUERY_TOKEN];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s); // '+' stays '+': tokens have no spaces, and base64 ones pasted unescaped still work
  } catch {
    return ''; // malformed escapes: no token rather than a crash
  }
}

/**
 * Routes a URL-only client fetches: live streams (HTTP-FLV, fMP4, HLS) and
 * media files. Others take credentials only in headers or the cookie.
 */
const MEDIA_ROUTES = new Set(['/api/segments/:id/file', '/api/cameras/:id/export.mp4', '/api/cameras/:id/thumbnail', '/api/events/:id/snapshot.jpg']);

export function acceptsQueryToken(routeUrl: string | undefined, method: string, declared: unknown): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (declared === true) return true;
  return routeUrl !== undefined && (routeUrl.startsWith('/live/') || MEDIA_ROUTES.has(routeUrl));
}

/** An HLS playlist fetched with ?token=: its media URIs get the token too, or the player could not follow them. */
export function addTokenToPlaylist(playlist: string, token: string): string {
  const add = (uri: string): string => `${uri}${uri.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
  return playlist
    .split('\n')
    .map((line) => {
      if (line.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${add(uri)}"`);
      return line.trim() === '' ? line : add(line);
    })
    .join('\n');
}
