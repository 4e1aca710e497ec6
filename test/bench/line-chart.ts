/**
 * A small line chart drawn as SVG by hand and rendered to PNG with sharp:
 * one line per series, x evenly spaced by category (camera counts), y from 0.
 */
import sharp from 'sharp';

export interface Series {
  name: string;
  color: string;
  /** y by x category; missing points leave a gap */
  points: Map<number, number>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function lineChartSvg(title: string, xLabel: string, yLabel: string, xs: number[], series: Series[]): string {
  const W = 900;
  const H = 520;
  const m = { l: 80, r: 220, t: 50, b: 60 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const ys = series.flatMap((s) => [...s.points.values()]);
  const top = niceCeil(Math.max(...ys, 1e-9) * 1.1);
  const x = (i: number) => m.l + (xs.length === 1 ? pw / 2 : (i / (xs.length - 1)) * pw);
  const y = (v: number) => m.t + ph - (v / top) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = (top * k) / 5;
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(3)}</text>`);
  }
  xs.forEach((v, i) => parts.push(`<text x="${x(i)}" y="${m.t + ph + 20}" text-anchor="middle">${v}</text>`));
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="black"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="black"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 15}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(22 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = xs.map((v, i) => (s.points.has(v) ? `${x(i)},${y(s.points.get(v)!)}` : null));
    let path = '';
    let pen = false;
    for (const p of pts) {
      if (p === null) pen = false;
      else {
        path += `${pen ? 'L' : 'M'}${p} `;
        pen = true;
      }
    }
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`);
    for (const p of pts) if (p) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="4" fill="${s.color}"/>`);
    const ly = m.t + 20 + k * 24;
    parts.push(`<line x1="${W - m.r + 20}" x2="${W - m.r + 50}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${W - m.r + 58}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

export async function writePng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
