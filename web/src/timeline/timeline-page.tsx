import './timeline.css';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { href, navigate, type Route } from '../router.js';
import { useCameras } from '../components/use-cameras.js';
import { RecordingPlayer, type PlayerStatus } from '../playback/recording-player.js';
import { TimelineBar } from './timeline-bar.js';
import { MINUTE, addDays, centerView, dayBounds, formatClock, formatDay, parseDay, zoomView, type Range } from './time-math.js';
import { useDayData } from './use-day-data.js';

const SPEEDS = [1, 2, 4, 8, 16];
const STATUS_TEXT: Record<PlayerStatus, string> = {
  idle: 'Click the bar to play',
  loading: 'Loading…',
  playing: 'Playing',
  paused: 'Paused',
  'waiting-live': 'At the live edge: waiting for new recording',
  ended: 'No more recording',
  error: 'Playback failed',
};

/**
 * A camera's day: the zoomable bar of recordings and motion, a player that
 * starts wherever the bar is clicked, and a range to export.
 * Route: #/timeline/<cameraId>?day=YYYY-MM-DD&at=<epoch ms>.
 */
export function TimelinePage({ route }: { route: Route }) {
  const { cameras, error: camError } = useCameras();
  const atParam = Number(route.query.get('at'));
  const at = Number.isFinite(atParam) && atParam > 0 ? atParam : null;
  const day = parseDay(route.query.get('day')) ?? formatDay(at ?? Date.now());
  const cameraId = route.params[0] ?? cameras?.[0]?.id ?? null;
  const bounds = useMemo(() => dayBounds(day), [day]);
  const [view, setView] = useState<Range>(bounds);
  const { spans, spansRef, events, error, reload } = useDayData(cameraId, bounds);
  const videoRef = useRef<HTMLVideoElement>(null);
  const player = useRef<RecordingPlayer | null>(null);
  const [status, setStatus] = useState<PlayerStatus>('idle');
  const [playhead, setPlayhead] = useState<number | null>(null);
  const [speed, setSpeed] = useState(1);
  const [muted, setMuted] = useState(true);
  const [selection, setSelection] = useState<{ in: number | null; out: number | null }>({ in: null, out: null });
  const scrubbing = useRef(false);
  /** a pointer drags on the bar: the view does not follow the playhead meanwhile */
  const dragging = useRef(false);
  const exportRef = useRef<HTMLAnchorElement>(null);
  const today = Date.now() < bounds.to && Date.now() >= bounds.from;
  const liveEdge = today && spans.length ? spans[spans.length - 1].to : null;

  const go = (cam: string | null, d: string, extra: Record<string, number> = {}) =>
    navigate(href('timeline', cam ? [cam] : [], { day: d, ...extra }), true);

  // a new day or camera: whole-day view, no selection
  useEffect(() => {
    setView(bounds);
    setSelection({ in: null, out: null });
    setPlayhead(null);
  }, [bounds.from, cameraId]);

  // one player per camera
  useEffect(() => {
    if (!cameraId || !videoRef.current) return;
    const p = new RecordingPlayer(videoRef.current, {
      cameraId,
      spans: () => spansRef.current.map((r) => ({ startMs: r.from, endMs: r.to })),
      refreshSpans: reload,
      onStatus: setStatus,
      // tuning knobs (tests use short windows to cross window boundaries, and a short stall limit)
      windowSeconds: Number(localStorage.getItem('nvr.playbackWindowSeconds')) || undefined,
      stallSeconds: Number(localStorage.getItem('nvr.playbackStallSeconds')) || undefined,
    });
    p.setRate(speed);
    p.setAudio(!muted);
    player.current = p;
    setStatus('idle');
    return () => {
      p.destroy();
      player.current = null;
    };
  }, [cameraId, bounds.from]);

  // the playhead follows the video; the view follows the playhead when it leaves it
  useEffect(() => {
    let raf = 0;
    const step = () => {
      const t = player.current?.wallTime() ?? null;
      if (t !== null && !scrubbing.current && !dragging.current) {
        setPlayhead(t);
        setView((v) => (t > v.to || t < v.from ? centerView(v, t, bounds) : v));
      }
      raf = window.setTimeout(step, 100);
    };
    step();
    return () => clearTimeout(raf);
  }, [bounds.from]);

  // ?at= (from the Events page): play from there once the spans are known
  const startedAt = useRef<string | null>(null);
  useEffect(() => {
    const k = `${cameraId}/${at}`;
    if (at === null || !spans.length || startedAt.current === k) return;
    startedAt.current = k;
    setView((v) => centerView(zoomView(v, (10 * MINUTE) / (v.to - v.from), at, bounds), at, bounds));
    void player.current?.playAt(at);
  }, [spans, at, cameraId]);

  const seek = (t: number, final: boolean) => {
    scrubbing.current = !final;
    setPlayhead(t);
    // while dragging: show the picture at once where it is buffered (the hover thumbnail does elsewhere)
    if (final) void player.current?.playAt(t);
    else player.current?.scrubTo(t);
  };

  // the moment shown now: the playhead state follows the video every 100 ms, so just after a jump it is the old place
  const shownAt = () => player.current?.wallTime() ?? playhead;
  const eventStarts = events.map((e) => e.startMs).sort((a, b) => a - b);
  const jumpEvent = (dir: 1 | -1) => {
    const now = shownAt() ?? (dir > 0 ? bounds.from - 1 : bounds.to);
    const t = dir > 0 ? eventStarts.find((s) => s > now + 1000) : [...eventStarts].reverse().find((s) => s < now - 1000);
    if (t === undefined) return;
    setView((v) => centerView(v, t, bounds));
    seek(t, true);
  };

  const zoom = (factor: number) => setView((v) => zoomView(v, factor, playhead ?? (v.from + v.to) / 2, bounds));
  const changeSpeed = (s: number) => {
    setSpeed(s);
    player.current?.setRate(s);
  };
  const step = (ms: number) => {
    const t = (shownAt() ?? bounds.from) + ms;
    seek(Math.min(Math.max(t, bounds.from), bounds.to - 1), true);
  };
  const mark = (which: 'in' | 'out') => {
    const t = shownAt();
    if (t === null) return;
    setSelection((s) => {
      const next = { ...s, [which]: Math.round(t) };
      if (next.in !== null && next.out !== null && next.in > next.out) return which === 'in' ? { in: next.in, out: null } : { in: null, out: next.out };
      return next;
    });
  };
  const exportUrl =
    cameraId && selection.in !== null && selection.out !== null && selection.out > selection.in
      ? `/api/cameras/${encodeURIComponent(cameraId)}/export.mp4?from=${Math.round(selection.in)}&to=${Math.round(selection.out)}`
      : null;

  // keyboard shortcuts (not while typing in a field)
  const keys = useRef<(e: KeyboardEvent) => void>(() => {});
  keys.current = (e: KeyboardEvent) => {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (k === ' ') player.current?.togglePlay();
    else if (k === 'ArrowLeft' || k === 'ArrowRight') step((k === 'ArrowLeft' ? -1 : 1) * (e.shiftKey ? 60_000 : 10_000));
    else if (k === '[') jumpEvent(-1);
    else if (k === ']') jumpEvent(1);
    else if (k === '+' || k === '=') zoom(0.5);
    else if (k === '-' || k === '_') zoom(2);
    else if (k === 'i' || k === 'I') mark('in');
    else if (k === 'o' || k === 'O') mark('out');
    else if ((k === 'e' || k === 'E') && exportUrl) exportRef.current?.click();
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    const h = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', h);
    return () => window.removeEventListener('keydown', h);
  }, []);

  const playing = status === 'playing';
  return (
    <div class="timeline">
      <div class="tl-controls">
        <select aria-label="Camera" value={cameraId ?? ''} onChange={(e) => go((e.target as HTMLSelectElement).value, day)}>
          {(cameras ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name || c.id}
            </option>
          ))}
        </select>
        <div class="tl-day">
          <button type="button" aria-label="Previous day" onClick={() => go(cameraId, addDays(day, -1))}>
            ‹
          </button>
          <input type="date" aria-label="Day" value={day} onChange={(e) => parseDay((e.target as HTMLInputElement).value) && go(cameraId, (e.target as HTMLInputElement).value)} />
          <button type="button" aria-label="Next day" onClick={() => go(cameraId, addDays(day, 1))}>
            ›
          </button>
        </div>
        <span class="tl-clock" data-t={playhead === null ? '' : Math.round(playhead)}>
          {playhead === null ? '--:--:--' : formatClock(playhead, true)}
        </span>
        <span class="tl-status">{status === 'error' ? `${STATUS_TEXT.error}: ${player.current?.lastError ?? ''}` : STATUS_TEXT[status]}</span>
      </div>

      <div class="tl-stage">
        <video ref={videoRef} class="tl-video" muted={muted} playsInline onClick={() => player.current?.togglePlay()} />
        {!cameraId && <p class="tl-empty">{camError ?? (cameras ? 'No cameras configured.' : 'Loading cameras…')}</p>}
        {cameraId && !spans.length && <p class="tl-empty">{error ?? 'No recordings on this day.'}</p>}
      </div>

      <div class="tl-transport">
        <button type="button" class="tl-play" aria-label={playing ? 'Pause' : 'Play'} onClick={() => (status === 'idle' ? seek(playhead ?? spans[0]?.from ?? bounds.from, true) : player.current?.togglePlay())}>
          {playing ? '❚❚' : '▶'}
        </button>
        <button type="button" aria-label="Previous event" onClick={() => jumpEvent(-1)}>
          ‹ Event
        </button>
        <button type="button" aria-label="Next event" onClick={() => jumpEvent(1)}>
          Event ›
        </button>
        <div class="tl-speeds" role="group" aria-label="Speed">
          {SPEEDS.map((s) => (
            <button type="button" key={s} class={s === speed ? 'on' : ''} onClick={() => changeSpeed(s)}>
              {s}x
            </button>
          ))}
        </div>
        <button
          type="button"
          aria-label={muted ? 'Unmute' : 'Mute'}
          onClick={() => {
            setMuted(!muted);
            player.current?.setAudio(muted);
          }}
        >
          {muted ? 'Sound off' : 'Sound on'}
        </button>
        <div class="tl-zoom">
          <button type="button" aria-label="Zoom out" onClick={() => zoom(2)}>
            −
          </button>
          <button type="button" aria-label="Zoom in" onClick={() => zoom(0.5)}>
            +
          </button>
        </div>
      </div>

      {cameraId && (
        <TimelineBar
          cameraId={cameraId}
          day={bounds}
          view={view}
          spans={spans}
          events={events}
          playhead={playhead}
          selection={selection}
          liveEdge={liveEdge}
          onView={setView}
          onSeek={seek}
          onSelect={(s) => setSelection(s)}
          onDragging={(active) => (dragging.current = active)}
        />
      )}

      <div class="tl-export">
        <button type="button" onClick={() => mark('in')}>
          In
        </button>
        <button type="button" onClick={() => mark('out')}>
          Out
        </button>
        <span class="tl-range">
          {selection.in !== null ? formatClock(selection.in, true) : '--:--:--'} – {selection.out !== null ? formatClock(selection.out, true) : '--:--:--'}
        </span>
        {exportUrl ? (
          <a ref={exportRef} class="tl-download button" href={exportUrl} download>
            Export MP4
          </a>
        ) : (
          <span class="tl-download disabled">Export MP4</span>
        )}
        {(selection.in !== null || selection.out !== null) && (
          <button type="button" onClick={() => setSelection({ in: null, out: null })}>
            Clear
          </button>
        )}
      </div>
      <p class="tl-help">
        <kbd>Space</kbd> play/pause · <kbd>←</kbd>/<kbd>→</kbd> 10 s (<kbd>Shift</kbd> 1 min) · <kbd>[</kbd>/<kbd>]</kbd> previous/next event ·{' '}
        <kbd>+</kbd>/<kbd>−</kbd> zoom · <kbd>I</kbd>/<kbd>O</kbd> in/out · <kbd>E</kbd> export · drag the ruler to pan, shift-drag the bar to select
      </p>
    </div>
  );
}
