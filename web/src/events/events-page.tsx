import type { Route } from '../router.js';

export function EventsPage(_props: { route: Route }) {
  return <h1>Events</h1>;
}
