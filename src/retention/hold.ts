import type { Logger } from 'pino';
import type { DiskGate } from './disk-gate.js';
import type { DiskStats } from './planner.js';

export interface Alert {
  code: 'RECORDING_PAUSED';
  message: string;
  sinceMs: number;
}

/**
 * Recording held for a full disk: closes the recorders' gate with one loud
 * log line and an alert, and opens it again when space is back.
 */
export class RecordingHold {
  alert: Alert | null = null;

  constructor(
    private readonly gate: DiskGate,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onAlert?: (alert: Alert, active: boolean) => void,
  ) {}

  get paused(): boolean {
    return !this.gate.writable;
  }

  pause(disk: DiskStats, floor: number): void {
    if (this.paused) return;
    this.gate.writable = false;
    const message = `recording paused: ${mib(disk.freeBytes)} free on the recordings volume (${this.dataDir}), below the ${mib(floor)} floor, and no footage is left to delete; live view goes on`;
    this.alert = { code: 'RECORDING_PAUSED', message, sinceMs: this.now() };
    this.log.error({ alert: this.alert.code, freeBytes: disk.freeBytes, floorBytes: floor, dataDir: this.dataDir }, `RECORDING PAUSED: ${message}`);
    this.onAlert?.(this.alert, true);
  }

  resume(disk: DiskStats, floor: number): void {
    if (!this.paused) return;
    this.gate.writable = true;
    const alert = this.alert;
    this.alert = null;
    this.log.warn({ freeBytes: disk.freeBytes, floorBytes: floor }, 'recording resumed: free space is back above the floor');
    if (alert) this.onAlert?.(alert, false);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
