import { useEffect } from 'preact/hooks';
import { useMotionActive } from '../components/motion-feed.js';
import { useCameras } from '../components/use-cameras.js';
import { href, navigate, type Route } from '../router.js';
import { LiveTile } from './live-tile.js';

/** Set when the grid opened the single view: then Esc is the browser's Back (the grid's scroll position comes back too). */
let openedFromGrid = false;

function openSingle(id: string, replace = false): void {
  if (!replace) openedFromGrid = true;
  navigate(href('live', [id]), replace);
}

function closeSingle(): void {
  if (openedFromGrid) history.back();
  else navigate(href('live'), true); // opened from a link or bookmark: Back would leave the app
  openedFromGrid = false;
}

/**
 * #/live: every camera's tile in a grid; #/live/<id>: one camera large
 * (Esc or the browser's back button returns to the grid).
 */
export function LivePage(props: { route: Route }) {
  const { cameras, error } = useCameras();
  const motion = useMotionActive();
  const single = props.route.params[0];

  // Esc: back to the grid; 1-9: that camera large (not while typing, nor with modifiers)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || (e.target as Element | null)?.closest?.('input, select, textarea')) return;
      if (e.key === 'Escape' && single) {
        closeSingle();
      } else if (/^[1-9]$/.test(e.key) && cameras) {
        const cam = cameras[Number(e.key) - 1];
        if (cam && cam.id !== single) openSingle(cam.id, Boolean(single));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [single, cameras]);

  if (error && !cameras) return <p class="error">Cameras could not be loaded: {error}</p>;
  if (!cameras) return <p class="muted">Loading…</p>;
  if (cameras.length === 0) {
    return (
      <p class="empty">
        No cameras yet. <a href={href('cameras')}>Add one</a>.
      </p>
    );
  }
  const isActive = (id: string) => motion.has(id) || cameras.find((c) => c.id === id)?.motion?.active === true;

  if (single) {
    const cam = cameras.find((c) => c.id === single);
    if (!cam) return <p class="error">No camera “{single}”. <a href={href('live')}>Back to all cameras</a></p>;
    return (
      <div class="live-single">
        <div class="toolbar">
          <a
            href={href('live')}
            class="button"
            onClick={(e) => {
              e.preventDefault();
              closeSingle();
            }}
          >
            ← All cameras
          </a>
          <a href={href('timeline', [cam.id])} class="button">Timeline</a>
          <span class="muted hint">Esc: back · 1-9: camera</span>
        </div>
        <LiveTile key={cam.id} camera={cam} motion={isActive(cam.id)} large />
      </div>
    );
  }

  return (
    <div class={`grid n${Math.min(cameras.length, 4)}`}>
      {cameras.map((c) => (
        <LiveTile key={c.id} camera={c} motion={isActive(c.id)} onOpen={() => openSingle(c.id)} />
      ))}
    </div>
  );
}
