import { statfs } from 'node:fs/promises';
import type { DiskStats } from './planner.js';

/** Size and free space of the volume holding `path` (free: what a non-root writer may use). */
export async function probeDisk(path: string): Promise<DiskStats> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

export type DiskProbe = (path: string) => Promise<DiskStats>;
