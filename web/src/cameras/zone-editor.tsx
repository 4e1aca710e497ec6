import { useRef, useState } from 'preact/hooks';
import type { Point, Polygon } from './camera-settings.js';

export interface Shapes {
  zones: Polygon[];
  masks: Polygon[];
}

type Sel = { kind: 'zones' | 'masks'; index: number } | null;

const round = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;
const ZONE_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;

/**
 * Motion zones (only motion inside counts) and masks (motion inside is
 * ignored) drawn over the camera's latest snapshot, in normalised 0..1
 * coordinates: click to add a point to the selected shape, drag a point to
 * move it. The picture is a keyframe thumbnail, so what you draw on lines up
 * with what the detector sees.
 */
export function ZoneEditor(props: { cameraId: string; aspect: number; value: Shapes; onChange: (s: Shapes) => void; error?: string | null }) {
  const { zones, masks } = props.value;
  const [sel, setSel] = useState<Sel>(zones.length ? { kind: 'zones', index: 0 } : masks.length ? { kind: 'masks', index: 0 } : null);
  const [imgOk, setImgOk] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ kind: 'zones' | 'masks'; index: number; point: number } | null>(null);

  const at = (e: { clientX: number; clientY: number }): Point => {
    const r = box.current!.getBoundingClientRect();
    return [round((e.clientX - r.left) / r.width), round((e.clientY - r.top) / r.height)];
  };
  const update = (kind: 'zones' | 'masks', index: number, fn: (p: Polygon) => Polygon | null) => {
    const list = props.value[kind].flatMap((p, i) => (i === index ? (fn(p) ?? []) : [p]));
    props.onChange({ ...props.value, [kind]: list });
  };
  const add = (kind: 'zones' | 'masks') => {
    const list = props.value[kind];
    const name = kind === 'zones' ? `zone ${list.length + 1}` : `mask ${list.length + 1}`;
    props.onChange({ ...props.value, [kind]: [...list, { name, points: [] }] });
    setSel({ kind, index: list.length });
  };

  const onClick = (e: MouseEvent) => {
    if ((e.target as Element).closest('.handle')) return;
    if (!sel) {
      // nothing selected: the first click starts a zone
      props.onChange({ ...props.value, zones: [...zones, { name: `zone ${zones.length + 1}`, points: [at(e)] }] });
      setSel({ kind: 'zones', index: zones.length });
      return;
    }
    update(sel.kind, sel.index, (p) => (p.points.length >= 64 ? p : { ...p, points: [...p.points, at(e)] }));
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const pt = at(e);
    update(d.kind, d.index, (p) => ({ ...p, points: p.points.map((q, i) => (i === d.point ? pt : q)) }));
  };
  const startDrag = (e: PointerEvent, kind: 'zones' | 'masks', index: number, point: number) => {
    e.preventDefault();
    e.stopPropagation();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    drag.current = { kind, index, point };
    setSel({ kind, index });
  };
  const endDrag = () => {
    drag.current = null;
  };

  const current = sel ? props.value[sel.kind][sel.index] : undefined;
  const shapes = (['zones', 'masks'] as const).flatMap((kind) => props.value[kind].map((p, index) => ({ kind, index, p })));

  return (
    <div class="zone-editor">
      <div
        class="zone-canvas"
        ref={box}
        style={{ aspectRatio: String(props.aspect) }}
        onClick={onClick}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        data-testid="zone-canvas"
      >
        {imgOk ? (
          <img src={`/api/cameras/${encodeURIComponent(props.cameraId)}/thumbnail?t=${Date.now() - (Date.now() % 60_000)}`} alt="" draggable={false} onError={() => setImgOk(false)} />
        ) : (
          <span class="muted no-snap">No snapshot yet: it appears once the camera has published (with motion on).</span>
        )}
        <svg viewBox="0 0 1 1" preserveAspectRatio="none">
          {shapes.map(({ kind, index, p }) => (
            <polygon
              key={`${kind}${index}`}
              class={`${kind === 'zones' ? 'zone' : 'mask'}${sel?.kind === kind && sel.index === index ? ' selected' : ''}`}
              points={p.points.map(([x, y]) => `${x},${y}`).join(' ')}
              vector-effect="non-scaling-stroke"
            />
          ))}
        </svg>
        {shapes.flatMap(({ kind, index, p }) =>
          p.points.map(([x, y], i) => (
            <span
              key={`${kind}${index}-${i}`}
              class={`handle ${kind}${sel?.kind === kind && sel.index === index ? ' selected' : ''}`}
              style={{ left: `${x * 100}%`, top: `${y * 100}%` }}
              onPointerDown={(e) => startDrag(e, kind, index, i)}
            />
          )),
        )}
      </div>
      <div class="zone-tools">
        <div class="shape-list">
          {shapes.map(({ kind, index, p }) => (
            <button
              key={`${kind}${index}`}
              type="button"
              class={`small chip ${kind}${sel?.kind === kind && sel.index === index ? ' selected' : ''}`}
              onClick={() => setSel({ kind, index })}
            >
              {kind === 'zones' ? 'Zone' : 'Mask'}: {p.name || `#${index + 1}`} ({p.points.length})
            </button>
          ))}
        </div>
        <div class="row">
          <button type="button" class="small" onClick={() => add('zones')}>
            + Zone
          </button>
          <button type="button" class="small" onClick={() => add('masks')}>
            + Mask
          </button>
          {sel && current && (
            <>
              <input
                class="small"
                aria-label="Shape name"
                value={current.name ?? ''}
                onInput={(e) => update(sel.kind, sel.index, (p) => ({ ...p, name: e.currentTarget.value }))}
              />
              <button type="button" class="small" onClick={() => update(sel.kind, sel.index, (p) => ({ ...p, points: p.points.slice(0, -1) }))}>
                Undo point
              </button>
              <button type="button" class="small" onClick={() => update(sel.kind, sel.index, (p) => ({ ...p, points: [] }))}>
                Clear
              </button>
              <button
                type="button"
                class="small danger"
                onClick={() => {
                  update(sel.kind, sel.index, () => null);
                  setSel(null);
                }}
              >
                Remove
              </button>
            </>
          )}
        </div>
        <p class="muted hint">
          Click the picture to add points to the selected shape (at least 3), drag a point to move it. Zones: only motion inside counts. Masks: motion inside is ignored.
          {sel?.kind === 'zones' && current?.name !== undefined && !ZONE_NAME.test(current.name) && ' Zone names: letters, digits, space, _ . -'}
        </p>
        {props.error && (
          <p class="error field-error" data-testid="error-motion.zones">
            {props.error}
          </p>
        )}
      </div>
    </div>
  );
}
