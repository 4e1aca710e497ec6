import { useEffect, useRef, useState } from 'preact/hooks';
import { HOUR, formatClock, layoutSpans, msToX, panView, ticks, xToMs, zoomView, type Range } from './time-math.js';

export interface EventMark {
  id: number;
  startMs: number;
  endMs: number | null;
}

export interface BarProps {
  cameraId: string;
  day: Range;
  view: Range;
  spans: readonly Range[];
  events: readonly EventMark[];
  playhead: number | null;
  selection: { in: number | null; out: number | null };
  /** the right end of recording while it still grows (today), else null */
  liveEdge: number | null;
  onView(view: Range): void;
  /** a moment picked: `final` on release (play from there), else while dragging (scrub) */
  onSeek(t: number, final: boolean): void;
  onSelect(sel: { in: number; out: number }): void;
  /** a drag (scrub, pan, select) starts or ends: the page leaves the view alone meanwhile */
  onDragging(active: boolean): void;
}

/** Thumbnails are asked for at most this often while the pointer moves. */
const THUMB_EVERY_MS = 200;

/**
 * The zoomable day bar. Ruler (top strip): drag pans. Track: click or drag
 * scrubs, shift-drag selects a range to export. Wheel or pinch zooms around
 * the pointer; horizontal wheel pans. Hover shows a thumbnail of that moment.
 */
export function TimelineBar(p: BarProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ x: number; t: number; thumb: number } | null>(null);
  const lastThumb = useRef(0);
  const trailing = useRef(0);
  const drag = useRef<{ kind: 'scrub' | 'pan' | 'select'; startX: number; startT: number; view: Range; moved: boolean } | null>(null);
  const pointers = useRef(new Map<number, number>());
  const pinch = useRef<{ dist: number; view: Range } | null>(null);
  const props = useRef(p);
  props.current = p;

  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth || 1));
    ro.observe(el);
    setWidth(el.clientWidth || 1);
    // a non-passive wheel listener, so the page does not scroll while zooming
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const { view, day, onView } = props.current;
      const x = e.clientX - el.getBoundingClientRect().left;
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY) || e.shiftKey) {
        const d = e.deltaX || e.deltaY;
        onView(panView(view, (d / el.clientWidth) * (view.to - view.from), day));
      } else {
        onView(zoomView(view, Math.exp(e.deltaY * 0.002), xToMs(x, view, el.clientWidth), day));
      }
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      ro.disconnect();
      el.removeEventListener('wheel', onWheel);
    };
  }, []);

  const timeAt = (clientX: number) => {
    const r = ref.current!.getBoundingClientRect();
    return xToMs(Math.min(Math.max(clientX - r.left, 0), r.width), p.view, r.width);
  };

  const showHover = (clientX: number) => {
    const r = ref.current!.getBoundingClientRect();
    const t = timeAt(clientX);
    const x = clientX - r.left;
    const inSpan = p.spans.some((s) => s.from <= t && t < s.to);
    // the image URL changes at most every THUMB_EVERY_MS (one request each), and once more where the pointer stops
    clearTimeout(trailing.current);
    const wait = THUMB_EVERY_MS - (Date.now() - lastThumb.current);
    if (inSpan && wait <= 0) {
      lastThumb.current = Date.now();
      setHover({ x, t, thumb: Math.round(t) });
      return;
    }
    setHover((h) => ({ x, t, thumb: inSpan ? (h?.thumb ?? 0) : 0 }));
    if (inSpan) {
      trailing.current = window.setTimeout(() => {
        lastThumb.current = Date.now();
        setHover((h) => (h ? { ...h, thumb: Math.round(t) } : h));
      }, wait);
    }
  };

  const onPointerDown = (e: PointerEvent) => {
    const el = ref.current!;
    el.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, e.clientX);
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      pinch.current = { dist: Math.abs(a - b) || 1, view: p.view };
      drag.current = null;
      return;
    }
    const onRuler = (e.target as HTMLElement).closest('.tl-ruler') !== null;
    const kind = e.shiftKey ? 'select' : onRuler ? 'pan' : 'scrub';
    drag.current = { kind, startX: e.clientX, startT: timeAt(e.clientX), view: p.view, moved: false };
    p.onDragging(true);
    if (kind === 'scrub') p.onSeek(timeAt(e.clientX), false);
  };

  const onPointerMove = (e: PointerEvent) => {
    if (pointers.current.has(e.pointerId)) pointers.current.set(e.pointerId, e.clientX);
    if (pinch.current && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const r = ref.current!.getBoundingClientRect();
      const start = pinch.current.view;
      const mid = xToMs((a + b) / 2 - r.left, start, r.width);
      p.onView(zoomView(start, pinch.current.dist / (Math.abs(a - b) || 1), mid, p.day));
      return;
    }
    const d = drag.current;
    if (e.pointerType === 'mouse' || d) showHover(e.clientX);
    if (!d) return;
    if (Math.abs(e.clientX - d.startX) > 3) d.moved = true;
    const r = ref.current!.getBoundingClientRect();
    if (d.kind === 'pan') p.onView(panView(d.view, ((d.startX - e.clientX) / r.width) * (d.view.to - d.view.from), p.day));
    else if (d.kind === 'select') {
      const t = timeAt(e.clientX);
      p.onSelect({ in: Math.min(t, d.startT), out: Math.max(t, d.startT) });
    } else p.onSeek(timeAt(e.clientX), false);
  };

  const onPointerUp = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    if (pinch.current) {
      if (pointers.current.size < 2) pinch.current = null;
      return;
    }
    const d = drag.current;
    drag.current = null;
    if (e.pointerType !== 'mouse') setHover(null);
    if (!d) return;
    p.onDragging(false);
    if (d.kind === 'scrub' || (d.kind === 'pan' && !d.moved)) p.onSeek(timeAt(e.clientX), true);
  };

  const boxes = layoutSpans(p.spans, p.view, width);
  const px = (t: number) => msToX(t, p.view, width);
  const selIn = p.selection.in;
  const selOut = p.selection.out;
  const zoomed = p.view.to - p.view.from < p.day.to - p.day.from - HOUR / 60;

  return (
    <div
      ref={ref}
      class={`tl-bar${zoomed ? ' zoomed' : ''}`}
      data-from={p.view.from}
      data-to={p.view.to}
      data-span-end={p.spans.length ? p.spans[p.spans.length - 1].to : ''}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerLeave={(e) => {
        if (e.pointerType !== 'mouse' || drag.current) return;
        clearTimeout(trailing.current);
        setHover(null);
      }}
    >
      <div class="tl-ruler">
        {ticks(p.view, width).map((t) => (
          <div key={t.t} class={t.label ? 'tl-tick major' : 'tl-tick'} style={{ left: `${px(t.t)}px` }}>
            {t.label && px(t.t) > 16 && px(t.t) < width - 16 && <span>{t.label}</span>}
          </div>
        ))}
      </div>
      <div class="tl-track">
        {boxes.map((b, i) => (
          <div key={i} class="tl-span" style={{ left: `${b.left}px`, width: `${b.width}px` }} />
        ))}
        {p.events.map((e) => {
          const end = e.endMs ?? p.liveEdge ?? e.startMs;
          if (end < p.view.from || e.startMs > p.view.to) return null;
          const left = px(e.startMs);
          return (
            <div
              key={e.id}
              class="tl-event"
              data-id={e.id}
              data-start={e.startMs}
              title={`motion ${formatClock(e.startMs, true)}`}
              style={{ left: `${left}px`, width: `${Math.max(3, px(end) - left)}px` }}
            />
          );
        })}
        {selIn !== null && selOut !== null && selOut > selIn && (
          <div class="tl-selection" style={{ left: `${px(selIn)}px`, width: `${Math.max(2, px(selOut) - px(selIn))}px` }} />
        )}
        {selIn !== null && <div class="tl-mark in" style={{ left: `${px(selIn)}px` }} />}
        {selOut !== null && <div class="tl-mark out" style={{ left: `${px(selOut)}px` }} />}
        {p.liveEdge !== null && p.liveEdge > p.view.from && p.liveEdge < p.view.to && <div class="tl-live" style={{ left: `${px(p.liveEdge)}px` }} />}
        {p.playhead !== null && p.playhead >= p.view.from && p.playhead <= p.view.to && (
          <div class="tl-playhead" data-t={Math.round(p.playhead)} style={{ left: `${px(p.playhead)}px` }} />
        )}
      </div>
      {hover && (
        <div class="tl-hover" style={{ left: `${Math.min(Math.max(hover.x, 80), width - 80)}px` }}>
          {hover.thumb > 0 && <img src={`/api/cameras/${encodeURIComponent(p.cameraId)}/thumbnail?at=${hover.thumb}`} alt="" />}
          <span>{formatClock(hover.t, true)}</span>
        </div>
      )}
    </div>
  );
}
