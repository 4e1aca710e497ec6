/**
 * Zones and masks are polygons in normalised coordinates (0..1, origin top
 * left), so they survive a resolution change of the camera. Here they become
 * per-cell masks of the analysis grid: a cell belongs to a polygon when its
 * centre is inside (even-odd rule).
 */

export type Point = readonly [number, number];

export interface Polygon {
  name?: string;
  points: readonly Point[];
}

export interface ZoneGrid {
  /** 1 where motion counts: inside a zone (or anywhere, without zones) and outside every mask */
  watched: Uint8Array;
  watchedCount: number;
  zones: { name: string; cells: Uint8Array; count: number }[];
}

export function insidePolygon(x: number, y: number, points: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function rasterise(points: readonly Point[], width: number, height: number): Uint8Array {
  const cells = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (insidePolygon((x + 0.5) / width, (y + 0.5) / height, points)) cells[y * width + x] = 1;
    }
  }
  return cells;
}

export function zoneGrid(width: number, height: number, zones: readonly Polygon[], masks: readonly Polygon[]): ZoneGrid {
  const n = width * height;
  const masked = new Uint8Array(n);
  for (const m of masks) {
    const cells = rasterise(m.points, width, height);
    for (let i = 0; i < n; i++) masked[i] |= cells[i];
  }
  const zoneCells = zones.map((z, i) => {
    const cells = rasterise(z.points, width, height);
    for (let k = 0; k < n; k++) if (masked[k]) cells[k] = 0;
    let count = 0;
    for (let k = 0; k < n; k++) count += cells[k];
    return { name: z.name ?? `zone${i + 1}`, cells, count };
  });
  const watched = new Uint8Array(n);
  let watchedCount = 0;
  for (let i = 0; i < n; i++) {
    const inZone = zoneCells.length === 0 || zoneCells.some((z) => z.cells[i] === 1);
    if (inZone && !masked[i]) {
      watched[i] = 1;
      watchedCount++;
    }
  }
  return { watched, watchedCount, zones: zoneCells };
}
