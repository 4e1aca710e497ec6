import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Buffers per writev call (below IOV_MAX, 1024 on Linux). */
const MAX_IOV = 512;

/**
 * One segment file being written: appends are queued in memory and handed to
 * the OS by flush() (the recorder flushes at least once a second); sync()
 * is the power-loss barrier. Only this class touches the file.
 */
export class SegmentFile {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writtenBytes = 0;
  private syncedBytes = 0;
  private closed = false;
  /** flushes run one after another: each writes at its own explicit offset */
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates the file (and its folders); fails if it exists, so no footage is ever overwritten. */
  static async create(path: string): Promise<SegmentFile> {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'wx');
    return new SegmentFile(path, fh);
  }

  /** Bytes appended so far (written or queued): the offset of the next append. */
  get size(): number {
    return this.writtenBytes + this.queuedBytes;
  }

  /** Bytes the OS has. */
  get written(): number {
    return this.writtenBytes;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  append(parts: readonly Buffer[]): void {
    if (this.closed) throw new Error(`append to closed segment ${this.path}`);
    for (const p of parts) {
      if (p.length === 0) continue;
      this.queue.push(p);
      this.queuedBytes += p.length;
    }
  }

  /** Hands what is queued to the OS (no copy: writev of the frames' own buffers). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_IOV);
      const bytes = batch.reduce((n, b) => n + b.length, 0);
      this.queuedBytes -= bytes;
      const { bytesWritten } = await this.fh.writev(batch, this.writtenBytes);
      this.writtenBytes += bytesWritten;
      // a short write means the disk took only part (full, failing): writing the rest either
      // goes through or fails with the disk's own reason (ENOSPC, EIO) for the log
      if (bytesWritten < bytes) await this.writeRest(Buffer.concat(batch).subarray(bytesWritten));
    }
  }

  private async writeRest(rest: Buffer): Promise<void> {
    while (rest.length > 0) {
      const { bytesWritten } = await this.fh.write(rest, 0, rest.length, this.writtenBytes);
      if (bytesWritten === 0) throw new Error(`short write to ${this.path}: the disk took no more bytes`);
      this.writtenBytes += bytesWritten;
      rest = rest.subarray(bytesWritten);
    }
  }

  /** Makes what was written durable (fdatasync). */
  async sync(): Promise<void> {
    if (this.syncedBytes === this.writtenBytes) return;
    const target = this.writtenBytes;
    await this.fh.datasync();
    this.syncedBytes = target;
  }

  /** Flush, sync, close; then sync the folder so the file's name survives a power cut too. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
      await this.sync();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
    await syncDir(dirname(this.path));
  }

  /** A file never used (its segment could not start): closed and removed. */
  async discard(): Promise<void> {
    await this.abandon();
    await unlink(this.path).catch(() => {});
  }

  /** After a write error: close without flushing what is queued. */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    await this.fh.close().catch(() => {});
  }
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
