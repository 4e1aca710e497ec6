import type { EventSpans } from './event-spans.js';
import { cameraRule, DAY_MS, type RetentionRules, type VolumeRule } from './rules.js';

/**
 * What to delete: pure decisions over index rows, the rules, the time and the
 * disk's numbers. The purger walks the index oldest first, page by page, and
 * asks planPage which rows of each page go; see retention.ts for the order
 * of the walks.
 */

export interface PlanRow {
  id: number;
  cameraId: string;
  startMs: number;
  endMs: number;
  bytes: number;
  state: 'open' | 'closed' | 'missing';
}

export interface DiskStats {
  totalBytes: number;
  /** available to the NVR (statfs bavail) */
  freeBytes: number;
}

/** Footage bytes per camera as the index counts them (open segments included). */
export type Usage = Map<string, number>;

/** The floor is never below this: room for SQLite to commit, and a full disk (ENOSPC) is always below it. */
export const MIN_FLOOR_BYTES = 4 * 2 ** 20;

/** The free-space floor: the larger of minFreeBytes and minFreePercent of the volume. */
export function floorBytes(volume: VolumeRule, disk: DiskStats): number {
  return Math.max(MIN_FLOOR_BYTES, volume.minFreeBytes, Math.ceil((disk.totalBytes * volume.minFreePercent) / 100));
}

/** The volume-wide footage budget: the smaller of maxBytes and maxPercent of the volume; null without either. */
export function volumeBudget(volume: VolumeRule, disk: DiskStats): number | null {
  const limits: number[] = [];
  if (volume.maxBytes !== undefined) limits.push(volume.maxBytes);
  if (volume.maxPercent !== undefined) limits.push(Math.floor((disk.totalBytes * volume.maxPercent) / 100));
  return limits.length > 0 ? Math.min(...limits) : null;
}

export interface Needs {
  /** bytes each camera is over its own budget */
  cameras: Map<string, number>;
  /** bytes to free on the volume: over the volume budget, or under the floor, whichever asks more */
  volume: number;
}

/** How many bytes each byte rule wants freed now. */
export function byteNeeds(rules: RetentionRules, usage: Usage, disk: DiskStats): Needs {
  const cameras = new Map<string, number>();
  let total = 0;
  for (const [cameraId, bytes] of usage) {
    total += bytes;
    const max = cameraRule(rules, cameraId).maxBytes;
    if (max !== undefined && bytes > max) cameras.set(cameraId, bytes - max);
  }
  const budget = volumeBudget(rules.volume, disk);
  const overBudget = budget === null ? 0 : total - budget;
  const underFloor = floorBytes(rules.volume, disk) - disk.freeBytes;
  return { cameras, volume: Math.max(0, overBudget, underFloor) };
}

/**
 * 'unprotected': footage past its age, then (while bytes are needed) the
 * oldest footage not protected by a motion event. 'protected': a second walk,
 * only when the first could not free enough: the oldest of what is left.
 */
export type Tier = 'unprotected' | 'protected';

export interface WalkContext {
  now: number;
  rules: RetentionRules;
  events: EventSpans;
  /** bytes still to free in this walk's scope (one camera, or the volume); 0 for age alone */
  need: number;
  tier: Tier;
  /** apply the age rules (the per-camera walks; the volume walk only frees bytes) */
  age: boolean;
}

export interface PageResult {
  /** rows to delete, in the order given */
  remove: PlanRow[];
  /** bytes still to free after these go */
  need: number;
  /** nothing later in this walk can be deleted: stop paging */
  done: boolean;
}

/**
 * Which of these rows (one walk's next page, oldest first) go. A segment
 * still being written is never deleted; rows flagged missing are left to the
 * index check, which removes them.
 */
export function planPage(rows: readonly PlanRow[], ctx: WalkContext): PageResult {
  const remove: PlanRow[] = [];
  let need = ctx.need;
  for (const row of rows) {
    // a row younger than its camera's `days` cannot be past its age, nor can any row after it
    if (need <= 0 && (!ctx.age || row.startMs >= ctx.now - cameraRule(ctx.rules, row.cameraId).days * DAY_MS)) {
      return { remove, need, done: true };
    }
    if (row.state !== 'closed') continue;
    let go: boolean;
    if (ctx.tier === 'protected') go = need > 0;
    else if (ctx.age && pastAge(row, ctx)) go = true;
    else go = need > 0 && !eventProtected(row, ctx);
    if (!go) continue;
    remove.push(row);
    need -= row.bytes;
  }
  return { remove, need, done: false };
}

/** Older than the camera's days, and, when it overlaps an event, than its eventDays too. */
export function pastAge(row: PlanRow, ctx: Pick<WalkContext, 'now' | 'rules' | 'events'>): boolean {
  const rule = cameraRule(ctx.rules, row.cameraId);
  if (row.endMs > ctx.now - rule.days * DAY_MS) return false;
  if (row.endMs <= ctx.now - rule.eventDays * DAY_MS) return true;
  return !ctx.events.overlaps(row.cameraId, row.startMs, row.endMs);
}

/** Overlaps a motion event still within the camera's eventDays: goes last when space is short. */
export function eventProtected(row: PlanRow, ctx: Pick<WalkContext, 'now' | 'rules' | 'events'>): boolean {
  const rule = cameraRule(ctx.rules, row.cameraId);
  if (row.endMs <= ctx.now - Math.max(rule.days, rule.eventDays) * DAY_MS) return false;
  return ctx.events.overlaps(row.cameraId, row.startMs, row.endMs);
}
