/**
 * Turns per-picture motion levels into events, with hysteresis in level and
 * in time: an event starts after `minFrames` pictures in a row at 'high', goes
 * on while pictures are at least 'low', and ends once no picture has been
 * for `endMs`. Its end is the last picture with motion, so a recording of
 * [start, end] shows the whole of it. Pure: times in, actions out.
 */
import type { MotionLevel } from './motion-detector.js';
import type { EventEndReason } from '../events/event-store.js';

export interface TrackerSettings {
  /** consecutive 'high' pictures that start an event */
  minFrames: number;
  /** quiet time that ends an event, ms */
  endMs: number;
  /** an event this long ends, and a new one starts if motion goes on, ms */
  maxEventMs: number;
}

export interface Sample {
  atMs: number;
  score: number;
  level: MotionLevel;
  zones: string[];
}

export type TrackerAction =
  | { type: 'start'; atMs: number; score: number; zones: string[] }
  /** a new peak score in the ongoing event: the moment for its snapshot */
  | { type: 'peak'; atMs: number; score: number; zones: string[] }
  | { type: 'end'; endMs: number; reason: EventEndReason; zones: string[] };

export class EventTracker {
  private streak: Sample[] = [];
  private active: { startMs: number; lastMotionMs: number; peak: number; zones: Set<string> } | null = null;

  constructor(private readonly settings: TrackerSettings) {}

  get ongoing(): boolean {
    return this.active !== null;
  }

  feed(s: Sample): TrackerAction[] {
    const out: TrackerAction[] = [];
    const a = this.active;
    if (a) {
      if (s.level !== 'none' && s.atMs - a.startMs >= this.settings.maxEventMs) {
        out.push(this.finish(a.lastMotionMs, 'max-length'));
        // motion goes on: a new event from this picture
        return [...out, ...this.begin([s])];
      }
      if (s.level !== 'none') {
        a.lastMotionMs = s.atMs;
        for (const z of s.zones) a.zones.add(z);
        if (s.score > a.peak) {
          a.peak = s.score;
          out.push({ type: 'peak', atMs: s.atMs, score: s.score, zones: [...a.zones] });
        }
      } else if (s.atMs - a.lastMotionMs >= this.settings.endMs) {
        out.push(this.finish(a.lastMotionMs, 'quiet'));
      }
      return out;
    }
    if (s.level !== 'high') {
      this.streak = [];
      return out;
    }
    this.streak.push(s);
    if (this.streak.length < this.settings.minFrames) return out;
    return this.begin(this.streak);
  }

  /** Ends an ongoing event now (publish ended, decoder lost, shutdown). */
  end(reason: EventEndReason): TrackerAction[] {
    this.streak = [];
    return this.active ? [this.finish(this.active.lastMotionMs, reason)] : [];
  }

  /** Ends an ongoing event whose last motion is at least endMs before nowMs (pictures stopped coming). */
  expire(nowMs: number, reason: EventEndReason): TrackerAction[] {
    const a = this.active;
    return a && nowMs - a.lastMotionMs >= this.settings.endMs ? [this.finish(a.lastMotionMs, reason)] : [];
  }

  private begin(streak: Sample[]): TrackerAction[] {
    const first = streak[0];
    const best = streak.reduce((m, x) => (x.score > m.score ? x : m), first);
    const zones = new Set(streak.flatMap((x) => x.zones));
    const last = streak[streak.length - 1];
    this.active = { startMs: first.atMs, lastMotionMs: last.atMs, peak: best.score, zones };
    this.streak = [];
    const out: TrackerAction[] = [{ type: 'start', atMs: first.atMs, score: first.score, zones: [...zones] }];
    if (best !== first) out.push({ type: 'peak', atMs: best.atMs, score: best.score, zones: [...zones] });
    return out;
  }

  private finish(endMs: number, reason: EventEndReason): TrackerAction {
    const zones = [...this.active!.zones];
    this.active = null;
    this.streak = [];
    return { type: 'end', endMs, reason, zones };
  }
}
