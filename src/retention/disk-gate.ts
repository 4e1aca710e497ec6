import type { StorageGate } from '../recording/recorder.js';

export type GateCause = Parameters<StorageGate['check']>[0];

/**
 * The recorders' view of the disk: made before they start, driven by the
 * retention module once it runs. Writable until retention says otherwise.
 */
export class DiskGate implements StorageGate {
  writable = true;
  private listener: ((cause: GateCause, err?: unknown) => void) | null = null;

  check(cause: GateCause, err?: unknown): void {
    this.listener?.(cause, err);
  }

  /** Retention's handler for checks (null: stopped, checks are ignored). */
  listen(listener: ((cause: GateCause, err?: unknown) => void) | null): void {
    this.listener = listener;
  }
}
