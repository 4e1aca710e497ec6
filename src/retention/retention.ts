import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Segments } from '../storage/segments.js';
import { probeDisk, type DiskProbe } from './disk.js';
import type { DiskGate, GateCause } from './disk-gate.js';
import { noEvents, type EventSpans } from './event-spans.js';
import { RecordingHold, type Alert } from './hold.js';
import { byteNeeds, floorBytes, type PlanRow, type Usage } from './planner.js';
import { Purger } from './purger.js';
import { reconcile } from './reconcile.js';
import { cameraPages, mergedPages } from './row-pages.js';
import { cameraRules, type RetentionRules } from './rules.js';
import type { CameraConfig } from '../config/schema.js';
import { storageReport, type StorageReport } from './status.js';
import { turn } from './turn.js';
import { walkTiers, type Walker, type WalkResult } from './walk.js';

export type { Alert } from './hold.js';

export interface RetentionOptions {
  dataDir: string;
  segments: Segments;
  rules: RetentionRules;
  /** node-cron expression for the full pass */
  schedule: string;
  /** the recorders' gate: retention closes it when nothing is left to delete */
  gate: DiskGate;
  log: Logger;
  events?: EventSpans;
  /** the clock ages are measured by (tests move it days forward) */
  now?: () => number;
  probe?: DiskProbe;
  /** free space is checked this often, besides at every segment open */
  checkIntervalMs?: number;
  /** a segment file with no row is left this long after its last write */
  orphanGraceMs?: number;
  /** raised when recording pauses (active) and when it resumes (not active) */
  onAlert?: (alert: Alert, active: boolean) => void;
}

export interface PassReport {
  startMs: number;
  durationMs: number;
  /** segments deleted with their files */
  deleted: number;
  freedBytes: number;
  missingRows: number;
  orphanFiles: number;
  /** rows left open by a close that could not be committed, finalised from their files */
  staleOpen: number;
}

/**
 * Retention: a full pass on the cron schedule (ages, budgets, the floor, the
 * index against the files), and the free-space floor checked every few
 * seconds and at each segment open, deleting at once when below it and
 * pausing recording when nothing is left to delete. One job at a time; a
 * floor check asked for during a pass runs between two of its pages.
 */
export class Retention {
  private readonly now: () => number;
  private readonly probe: DiskProbe;
  private readonly walker: Walker;
  private readonly purger: Purger;
  private readonly hold: RecordingHold;
  private lane: Promise<unknown> = Promise.resolve();
  private busy = false;
  private floorQueued = false;
  private floorWanted = false;
  private inFloor = false;
  private stopping = false;
  private task: ScheduledTask | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastPass: PassReport | null = null;

  constructor(private readonly opts: RetentionOptions) {
    this.now = opts.now ?? Date.now;
    this.probe = opts.probe ?? probeDisk;
    this.purger = new Purger(opts.dataDir, opts.segments, opts.log);
    this.hold = new RecordingHold(opts.gate, opts.dataDir, opts.log, this.now, opts.onAlert);
    this.walker = {
      purger: this.purger,
      rules: opts.rules,
      events: opts.events ?? noEvents,
      stopping: () => this.stopping,
      between: async () => {
        if (this.floorWanted && !this.inFloor) await this.floor();
      },
    };
  }

  /** Schedules the pass and the floor checks, and checks the floor now. */
  start(): void {
    const { log } = this.opts;
    this.opts.gate.listen((cause, err) => this.onGateCheck(cause, err));
    this.task = cronSchedule(
      this.opts.schedule,
      async () => {
        await this.runPass().catch((err: unknown) => log.error({ err }, 'retention pass failed'));
      },
      { name: 'retention', noOverlap: true, logger: cronLogger(log) },
    );
    this.timer = setInterval(() => this.requestFloor(), this.opts.checkIntervalMs ?? 2000);
    this.timer.unref();
    this.requestFloor();
  }

  /** Stops scheduling, lets the running job stop at its next batch, waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.opts.gate.listen(null);
    if (this.timer) clearInterval(this.timer);
    await this.task?.destroy();
    await this.lane;
  }

  get paused(): boolean {
    return this.hold.paused;
  }

  /** One full pass now (the cron job; tests call it with their clock). */
  runPass(): Promise<PassReport> {
    return this.exclusive(() => this.pass());
  }

  /** The floor check now: deletes the oldest footage while below the floor, pauses or resumes recording. */
  checkFloor(): Promise<void> {
    return this.exclusive(() => this.floor());
  }

  /**
   * The cameras changed at runtime (added, edited, removed): the next pass and
   * floor check use their rules; footage of a removed camera falls to the
   * default rule, like that of a camera taken out of the config file.
   */
  setCameras(cameras: readonly Pick<CameraConfig, 'id' | 'retention'>[]): void {
    this.opts.rules.cameras = cameraRules(cameras);
  }

  /** Usage, free space, forecast and rules, for GET /api/storage. */
  async status(): Promise<StorageReport> {
    const disk = await this.probe(this.opts.dataDir);
    return storageReport({
      segments: this.opts.segments,
      rules: this.opts.rules,
      schedule: this.opts.schedule,
      dataDir: this.opts.dataDir,
      disk,
      now: this.now(),
      paused: this.paused,
      alerts: this.hold.alert ? [this.hold.alert] : [],
      lastPass: this.lastPass,
    });
  }

  private onGateCheck(cause: GateCause, err?: unknown): void {
    if (cause === 'write-error') this.opts.log.warn({ err }, 'a recording write failed: checking free space now');
    this.requestFloor();
  }

  private requestFloor(): void {
    if (this.stopping) return;
    if (this.busy) {
      this.floorWanted = true; // the running job checks between pages
      return;
    }
    if (this.floorQueued) return;
    this.floorQueued = true;
    void this.exclusive(async () => {
      this.floorQueued = false;
      await this.floor();
    }).catch((err: unknown) => this.opts.log.error({ err }, 'free-space check failed'));
  }

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.lane.then(async () => {
      this.busy = true;
      try {
        return await job();
      } finally {
        this.busy = false;
      }
    });
    this.lane = run.catch(() => {});
    return run;
  }

  private async pass(): Promise<PassReport> {
    const t0 = performance.now();
    const now = this.now();
    const report: PassReport = { startMs: now, durationMs: 0, deleted: 0, freedBytes: 0, missingRows: 0, orphanFiles: 0, staleOpen: 0 };
    const { segments, rules } = this.opts;
    const cameraIds = segments.cameraIds();
    const usage: Usage = new Map();
    for (const id of cameraIds) {
      usage.set(id, segments.usage(id).bytes);
      await turn();
    }
    const needs = byteNeeds(rules, usage, await this.probe(this.opts.dataDir));
    // 1. each camera: footage past its age, then the oldest while over its own budget
    for (const id of cameraIds) {
      const r = await walkTiers(this.walker, () => cameraPages(segments, id), needs.cameras.get(id) ?? 0, true, now);
      usage.set(id, usage.get(id)! - r.freedBytes);
      add(report, r);
    }
    // 2. the volume: the oldest of all cameras while over its budget or under the floor
    const need = byteNeeds(rules, usage, await this.probe(this.opts.dataDir)).volume;
    if (need > 0) add(report, await walkTiers(this.walker, () => this.oldestOfAll(), need, false, now));
    // 3. the index against the files
    const rec = await reconcile({
      dataDir: this.opts.dataDir,
      segments,
      purger: this.purger,
      log: this.opts.log,
      now,
      orphanGraceMs: this.opts.orphanGraceMs ?? 10 * 60_000,
      shouldStop: () => this.stopping,
    });
    report.missingRows = rec.missingRows;
    report.orphanFiles = rec.orphanFiles;
    report.staleOpen = rec.staleOpen;
    await this.floor();
    report.durationMs = Math.round(performance.now() - t0);
    this.lastPass = report;
    const changed = report.deleted + report.missingRows + report.orphanFiles + report.staleOpen > 0;
    this.opts.log[changed ? 'info' : 'debug'](report, 'retention pass');
    return report;
  }

  /** Below the floor: the oldest footage of all cameras goes now; with nothing left, recording pauses. */
  private async floor(): Promise<void> {
    this.floorWanted = false;
    if (this.inFloor || this.stopping) return;
    this.inFloor = true;
    try {
      // the index counts bytes, the disk blocks: probe again after freeing what the index says,
      // but only while deleting shows (a file a viewer holds open frees nothing until closed)
      let lastFree = -Infinity;
      for (let attempt = 0; attempt < 3; attempt++) {
        const disk = await this.probe(this.opts.dataDir);
        const floor = floorBytes(this.opts.rules.volume, disk);
        if (disk.freeBytes >= floor) return this.hold.resume(disk, floor);
        if (disk.freeBytes <= lastFree) return; // the next check looks again
        lastFree = disk.freeBytes;
        const r = await walkTiers(this.walker, () => this.oldestOfAll(), floor - disk.freeBytes, false, this.now());
        if (r.deleted > 0) {
          this.opts.log.warn({ deleted: r.deleted, freedBytes: r.freedBytes, freeBytes: disk.freeBytes, floorBytes: floor }, 'free space was below the floor: deleted the oldest footage');
        }
        if (r.need > 0 || r.deleted === 0) {
          const after = await this.probe(this.opts.dataDir);
          if (after.freeBytes < floor) return this.hold.pause(after, floor);
          return this.hold.resume(after, floor);
        }
      }
    } finally {
      this.inFloor = false;
    }
  }

  /** All cameras' rows merged oldest first: the volume's walk. */
  private oldestOfAll(): Iterable<PlanRow[]> {
    return mergedPages(this.opts.segments, this.opts.segments.cameraIds());
  }
}

function add(report: PassReport, r: WalkResult): void {
  report.deleted += r.deleted;
  report.freedBytes += r.freedBytes;
}

function cronLogger(log: Logger): { info(m: string): void; warn(m: string): void; error(m: string | Error, e?: Error): void; debug(m: string | Error, e?: Error): void } {
  return {
    info: (m) => log.debug({ cron: true }, m),
    warn: (m) => log.warn({ cron: true }, m),
    error: (m, err) => log.error({ cron: true, err: err ?? m }, String(m)),
    debug: (m) => log.debug({ cron: true }, String(m)),
  };
}
