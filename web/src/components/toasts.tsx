import { useEffect, useState } from 'preact/hooks';
import { href, navigate } from '../router.js';
import { onMotion, type MotionNotice } from './motion-feed.js';
import { formatTime, localDay } from './time.js';

/** How long a toast stays, and how many at once (a camera storm must not fill the screen). */
const TOAST_MS = 6000;
const MAX_TOASTS = 4;

interface Toast {
  key: number;
  notice: MotionNotice;
  name: string;
}

/** A toast in the top-right corner when motion starts on any camera; a click opens the timeline there. */
export function MotionToasts(props: { cameraName: (id: string) => string }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useEffect(() => {
    let key = 0;
    const timers = new Set<number>();
    const off = onMotion((n) => {
      if (n.phase !== 'start') return;
      const t: Toast = { key: ++key, notice: n, name: props.cameraName(n.cameraId) };
      setToasts((list) => [...list, t].slice(-MAX_TOASTS));
      const timer = window.setTimeout(() => {
        timers.delete(timer);
        setToasts((list) => list.filter((x) => x.key !== t.key));
      }, TOAST_MS);
      timers.add(timer);
    });
    return () => {
      off();
      for (const t of timers) clearTimeout(t);
    };
  }, [props.cameraName]);

  const open = (t: Toast) => {
    setToasts((list) => list.filter((x) => x.key !== t.key));
    const { cameraId, startMs } = t.notice;
    navigate(href('timeline', [cameraId], { day: localDay(startMs), at: startMs }));
  };

  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <button key={t.key} type="button" class="toast" onClick={() => open(t)}>
          {t.notice.snapshotUrl && <img src={t.notice.snapshotUrl} alt="" />}
          <span>
            <strong>Motion</strong> on {t.name}
            <small>{formatTime(t.notice.startMs)} · open in timeline</small>
          </span>
        </button>
      ))}
    </div>
  );
}
