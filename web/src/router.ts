import { useEffect, useState } from 'preact/hooks';

import { parseRoute, type Route } from './routes.js';

/** The pure half lives in routes.ts (testable in Node without DOM types). */
export { href, parseRoute, type Route } from './routes.js';

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
