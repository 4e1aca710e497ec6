import type { StreamMetadata } from '../media/frame.js';

const MAX_KEYS = 64;
const MAX_STRING = 256;

/**
 * Keeps the flat, printable part of onMetaData. Devices send odd or invalid
 * metadata (Dahua: mediamtx#769) or none at all: nothing may depend on it.
 */
export function sanitizeMetadata(values: unknown[]): StreamMetadata | null {
  const obj = values[0];
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const out: StreamMetadata = {};
  let n = 0;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (n >= MAX_KEYS) break;
    if (k === '__proto__' || k.length > 64) continue;
    if (typeof v === 'string') out[k] = v.slice(0, MAX_STRING);
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else continue;
    n++;
  }
  return out;
}
