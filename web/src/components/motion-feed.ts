/**
 * The motion events stream (SSE GET /api/events/live), opened once by the
 * shell and shared by every page: the toast, the live tiles' "motion" badge.
 * EventSource reconnects by itself (the server sends `retry:`).
 */
import { useEffect, useState } from 'preact/hooks';

/** An event as the SSE stream sends it: the event JSON plus which edge this is. */
export interface MotionNotice {
  id: number;
  cameraId: string;
  startMs: number;
  endMs: number | null;
  score: number;
  snapshotUrl: string | null;
  phase: 'start' | 'end';
}

type Listener = (n: MotionNotice) => void;
const listeners = new Set<Listener>();
/** cameras with an event going on, as the stream last said */
const active = new Map<string, number>();
let source: EventSource | null = null;

export function startMotionFeed(): () => void {
  if (source) return stopMotionFeed;
  source = new EventSource('/api/events/live');
  source.addEventListener('motion', (e) => {
    let n: MotionNotice;
    try {
      n = JSON.parse((e as MessageEvent<string>).data) as MotionNotice;
    } catch {
      return;
    }
    if (typeof n?.cameraId !== 'string') return;
    if (n.phase === 'start' && n.endMs === null) active.set(n.cameraId, n.id);
    else if (active.get(n.cameraId) === n.id) active.delete(n.cameraId);
    for (const fn of listeners) fn(n);
  });
  return stopMotionFeed;
}

function stopMotionFeed(): void {
  source?.close();
  source = null;
  active.clear();
}

export function onMotion(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Camera ids with motion now, per the stream; re-renders on each notice. */
export function useMotionActive(): ReadonlySet<string> {
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set(active.keys()));
  useEffect(() => onMotion(() => setIds(new Set(active.keys()))), []);
  return ids;
}
