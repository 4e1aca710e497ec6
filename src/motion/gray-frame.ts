/**
 * Analysis pictures: the decoded RGB thumbnail shrunk to a small grayscale
 * grid by averaging whole blocks. Averaging is the first noise filter
 * (sensor noise of 16 pixels at 4x4 falls by 4x), and a grid of ~80x45 makes
 * the analysis cost microseconds whatever the camera's resolution.
 */

export interface GrayFrame {
  width: number;
  height: number;
  /** luma 0..255, rows top to bottom */
  data: Float32Array;
}

/** Analysis grid width; the height follows the picture's aspect. */
export const ANALYSIS_WIDTH = 80;

export function analysisSize(width: number, height: number): { width: number; height: number } {
  const w = Math.min(ANALYSIS_WIDTH, width);
  return { width: w, height: Math.max(1, Math.round((height * w) / width)) };
}

/** RGB (3 bytes a pixel) to gray at outWidth x outHeight, each output the mean luma of its block (BT.601 weights). */
export function toGrayGrid(rgb: Buffer, width: number, height: number, outWidth: number, outHeight: number): GrayFrame {
  if (rgb.length < width * height * 3) throw new RangeError(`RGB buffer of ${rgb.length} bytes is too small for ${width}x${height}`);
  const sums = new Float64Array(outWidth * outHeight);
  const counts = new Uint32Array(outWidth * outHeight);
  // column -> output column, computed once
  const colOf = new Uint16Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.min(outWidth - 1, Math.floor((x * outWidth) / width));
  for (let y = 0; y < height; y++) {
    const row = Math.min(outHeight - 1, Math.floor((y * outHeight) / height)) * outWidth;
    let p = y * width * 3;
    for (let x = 0; x < width; x++, p += 3) {
      const i = row + colOf[x];
      sums[i] += 0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2];
      counts[i]++;
    }
  }
  const data = new Float32Array(outWidth * outHeight);
  for (let i = 0; i < data.length; i++) data[i] = counts[i] ? sums[i] / counts[i] : 0;
  return { width: outWidth, height: outHeight, data };
}
