/** Decoded RGB pictures to JPEG with sharp (libvips, off the main thread). */
import sharp from 'sharp';

export async function encodeJpeg(rgb: Buffer, width: number, height: number, quality: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

/** Output size: at most maxWidth wide, the source's aspect, both even (yuv420 scalers want that). */
export function thumbnailSize(srcWidth: number, srcHeight: number, maxWidth: number): { width: number; height: number } {
  const width = Math.max(2, Math.min(maxWidth, srcWidth) & ~1);
  const height = Math.max(2, Math.round((srcHeight * width) / srcWidth / 2) * 2);
  return { width, height };
}
