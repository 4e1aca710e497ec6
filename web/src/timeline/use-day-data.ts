import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import type { EventMark } from './timeline-bar.js';
import type { Range } from './time-math.js';

interface SpanJson {
  startMs: number;
  endMs: number;
}

/** While the day is today, spans and events are read again this often (recording grows). */
const REFRESH_MS = 5_000;

/**
 * A camera's recorded spans and motion events for one day; re-read every
 * REFRESH_MS while the day is still going (the live edge moves), and on demand.
 */
export function useDayData(cameraId: string | null, day: Range) {
  const [spans, setSpans] = useState<Range[]>([]);
  const [events, setEvents] = useState<EventMark[]>([]);
  const [error, setError] = useState<string | null>(null);
  const spansRef = useRef<Range[]>([]);
  const key = `${cameraId}/${day.from}`;
  const keyRef = useRef(key);
  keyRef.current = key;

  const load = useCallback(async () => {
    if (!cameraId) return;
    const k = key;
    const cam = encodeURIComponent(cameraId);
    try {
      const [s, e] = await Promise.all([
        get<SpanJson[]>(`/api/cameras/${cam}/timeline?from=${day.from}&to=${day.to}`),
        get<EventMark[]>(`/api/events?cameraId=${cam}&from=${day.from}&to=${day.to}&limit=10000`),
      ]);
      if (keyRef.current !== k) return;
      const ranges = s.map((x) => ({ from: x.startMs, to: x.endMs }));
      spansRef.current = ranges;
      setSpans(ranges);
      setEvents(e);
      setError(null);
    } catch (err) {
      if (keyRef.current === k) setError((err as Error).message);
    }
  }, [key]);

  useEffect(() => {
    spansRef.current = [];
    setSpans([]);
    setEvents([]);
    void load();
    if (Date.now() >= day.to) return;
    const timer = setInterval(() => !document.hidden && void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [key]);

  return { spans, spansRef, events, error, reload: load };
}
