import { useEffect, useState } from 'preact/hooks';
import { errorText, get } from '../api.js';
import { onMotion } from '../components/motion-feed.js';
import { dayRange, formatDateTime, formatDuration, localDay } from '../components/time.js';
import { useCameras } from '../components/use-cameras.js';
import { href, navigate, type Route } from '../router.js';

/** An event as GET /api/events answers (src/events/event-json.ts). */
export interface EventItem {
  id: number;
  cameraId: string;
  type: string;
  startMs: number;
  endMs: number | null;
  score: number;
  zones: string[];
  snapshotUrl: string | null;
}

const PAGE = 50;
/** With no day picked: this far back. */
const RECENT_MS = 30 * 24 * 3600_000;

/** The timeline at the event's start: what the timeline page reads (#/timeline/<cam>?day=&at=). */
export const eventHref = (e: { cameraId: string; startMs: number }) => href('timeline', [e.cameraId], { day: localDay(e.startMs), at: e.startMs });

/**
 * #/events?camera=<id>&day=YYYY-MM-DD: motion events, newest first, with
 * their snapshots; the filters live in the address so a view can be shared.
 */
export function EventsPage(props: { route: Route }) {
  const { cameras } = useCameras();
  const camera = props.route.query.get('camera') ?? '';
  const day = props.route.query.get('day') ?? '';
  const [limit, setLimit] = useState(PAGE);
  const [events, setEvents] = useState<EventItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState(0);

  useEffect(() => setLimit(PAGE), [camera, day]);
  // a motion start or end anywhere: ask again (cheap, and the list stays true)
  useEffect(() => onMotion(() => setFresh((n) => n + 1)), []);

  useEffect(() => {
    let cancelled = false;
    const range = dayRange(day) ?? { fromMs: Date.now() - RECENT_MS, toMs: Date.now() + 60_000 };
    const q = new URLSearchParams({ from: String(range.fromMs), to: String(range.toMs), order: 'desc', limit: String(limit + 1) });
    if (camera) q.set('cameraId', camera);
    get<EventItem[]>(`/api/events?${q}`)
      .then((list) => {
        if (cancelled) return;
        setEvents(list);
        setError(null);
      })
      .catch((err) => !cancelled && setError(errorText(err)));
    return () => {
      cancelled = true;
    };
  }, [camera, day, limit, fresh]);

  const setFilter = (next: { camera?: string; day?: string }) =>
    navigate(href('events', [], { camera: (next.camera ?? camera) || undefined, day: (next.day ?? day) || undefined }), true);
  const nameOf = (id: string) => cameras?.find((c) => c.id === id)?.name ?? id;
  const shown = events?.slice(0, limit) ?? [];

  return (
    <section class="events">
      <h1>Events</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Camera
          <select value={camera} onChange={(e) => setFilter({ camera: e.currentTarget.value })} data-testid="event-camera">
            <option value="">All cameras</option>
            {cameras?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Day
          <input type="date" value={day} max={localDay(Date.now())} onChange={(e) => setFilter({ day: e.currentTarget.value })} data-testid="event-day" />
        </label>
        {day && (
          <button type="button" onClick={() => setFilter({ day: '' })}>
            Last 30 days
          </button>
        )}
      </form>
      {error && <p class="error">Events could not be loaded: {error}</p>}
      {events && shown.length === 0 && <p class="empty">No motion events {day ? 'on this day' : 'in the last 30 days'}.</p>}
      <ul class="event-list">
        {shown.map((e) => (
          <li key={e.id}>
            <a href={eventHref(e)} class="event" data-event-id={e.id}>
              {e.snapshotUrl ? <img src={e.snapshotUrl} alt="" loading="lazy" /> : <span class="no-snap">no snapshot</span>}
              <span class="event-text">
                <strong>{nameOf(e.cameraId)}</strong>
                <span>{formatDateTime(e.startMs)}</span>
                <span class="muted">
                  {e.endMs === null ? <span class="badge motion">ongoing</span> : formatDuration(e.endMs - e.startMs)}
                  {' · '}score {e.score}
                  {e.zones.length > 0 && ` · ${e.zones.join(', ')}`}
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {events && events.length > limit && (
        <button type="button" class="more" onClick={() => setLimit(limit + PAGE)}>
          Load more
        </button>
      )}
    </section>
  );
}
