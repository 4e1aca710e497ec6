/** Every fuzz target, by group. */
import { amfTargets } from './targets-amf.js';
import { fileTargets } from './targets-files.js';
import { mediaTargets } from './targets-media.js';
import { rtmpTargets } from './targets-rtmp.js';
import type { FuzzTarget } from './target.js';

export const TARGET_GROUPS: Record<string, FuzzTarget<never>[]> = {
  rtmp: rtmpTargets,
  amf: amfTargets,
  media: mediaTargets,
  files: fileTargets,
};

export const TARGETS: FuzzTarget<never>[] = Object.values(TARGET_GROUPS).flat();

export function targetNamed(name: string): FuzzTarget<never> {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target "${name}"; targets: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}
