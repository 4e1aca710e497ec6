import type { Route } from '../router.js';

export function TimelinePage(_props: { route: Route }) {
  return <h1>Timeline</h1>;
}
