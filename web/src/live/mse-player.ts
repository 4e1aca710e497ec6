/**
 * Plays /live/:id.mp4 over a WebSocket through Media Source Extensions.
 *
 * The server sends a text message with the MIME type (codecs) before each
 * init segment, then binary fMP4: init, then one fragment per frame. After a
 * publisher reconnect the same socket carries a new text message and init
 * segment with timestamps continuing (src/live/viewer.ts), so the buffer just
 * goes on; a codec the format cannot follow closes the socket and we start
 * over. We reconnect with backoff whenever the socket closes (4503: camera
 * offline, 4404: no such camera) or nothing arrives for a while.
 *
 * MSE players drift behind the live edge (go2rtc#1308): more than
 * MAX_BEHIND_S behind, we seek to just before the buffered end; a little
 * behind, we play slightly faster. Played media older than KEEP_BEHIND_S is
 * removed so memory stays bounded on a wall that runs for days.
 */

export type PlayerState = 'connecting' | 'playing' | 'waiting' | 'offline' | 'unsupported' | 'error';

/** seconds behind the buffered end before we jump (the issue's ~1.5 s) */
const MAX_BEHIND_S = 1.5;
/** where a jump lands, before the buffered end: room for the next fragments */
const JUMP_TARGET_S = 0.3;
/** a little behind: catch up at CATCH_UP_RATE instead of jumping */
const CATCH_UP_S = 0.5;
const CATCH_UP_RATE = 1.1;
/** buffer trimmed once it reaches TRIM_AT_S behind the playhead, down to KEEP_BEHIND_S */
const TRIM_AT_S = 12;
const KEEP_BEHIND_S = 5;
/** no media for this long on an open socket: start over (a stuck path; the publisher gone for good) */
const SILENCE_MS = 15_000;
/** reconnect delays: doubled from MIN to MAX, reset once media flows */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10_000;
/** appends waiting while the SourceBuffer is busy; more means it cannot keep up */
const MAX_QUEUED = 600;
const CHASE_INTERVAL_MS = 250;

type Queued = ArrayBuffer | { changeType: string };

export class LivePlayer {
  private ws: WebSocket | null = null;
  private ms: MediaSource | null = null;
  private objectUrl: string | null = null;
  private sb: SourceBuffer | null = null;
  private mime: string | null = null;
  private queue: Queued[] = [];
  private retryMs = RETRY_MIN_MS;
  private retryTimer = 0;
  private chaseTimer = 0;
  private lastDataAt = 0;
  private stopped = false;
  private state: PlayerState = 'connecting';
  /** counters for the UI and tests */
  readonly stats = { connects: 0, jumps: 0, appended: 0, errors: [] as string[] };

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly url: string,
    private readonly onState: (s: PlayerState, detail?: string) => void = () => {},
  ) {
    video.muted = true;
    video.playsInline = true;
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('error', this.onVideoError);
  }

  start(): void {
    this.connect();
    this.chaseTimer = window.setInterval(this.chase, CHASE_INTERVAL_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.chaseTimer);
    clearTimeout(this.retryTimer);
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('error', this.onVideoError);
    this.teardown();
  }

  /** The camera is live again (status poll): skip the rest of the backoff. */
  retryNow(): void {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  setMuted(muted: boolean): void {
    this.video.muted = muted;
    if (!muted) this.video.play().catch(() => {});
  }

  private setState(s: PlayerState, detail?: string): void {
    if (s === this.state && detail === undefined) return;
    this.state = s;
    this.onState(s, detail);
  }

  private connect(): void {
    this.teardown();
    this.stats.connects++;
    this.setState('connecting');
    const ms = new MediaSource();
    this.ms = ms;
    this.objectUrl = URL.createObjectURL(ms);
    this.video.src = this.objectUrl;
    ms.addEventListener('sourceopen', () => this.openSourceBuffer(), { once: true });

    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}${this.url}`);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    this.lastDataAt = Date.now();
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') return this.onMime(e.data);
      this.lastDataAt = Date.now();
      if (this.queue.length >= MAX_QUEUED) return this.restart('the player fell behind');
      this.queue.push(e.data as ArrayBuffer);
      this.pump();
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (e.code === 4503) this.setState('offline', 'camera offline');
      else if (e.code === 4404) this.setState('error', 'no such camera');
      else if (this.state !== 'unsupported') this.setState('waiting', 'reconnecting');
      this.scheduleRetry();
    };
  }

  private onMime(mime: string): void {
    if (!MediaSource.isTypeSupported(mime)) {
      this.setState('unsupported', `this browser cannot play ${mime}`);
      this.ws?.close();
      return;
    }
    if (this.sb && mime !== this.mime) {
      // a publisher came back with other codec parameters: switch before its init segment
      if ('changeType' in this.sb) this.queue.push({ changeType: mime });
      else return this.restart('codec change');
    }
    this.mime = mime;
    if (!this.sb && this.ms?.readyState === 'open') this.openSourceBuffer();
  }

  private openSourceBuffer(): void {
    if (this.sb || !this.mime || !this.ms || this.ms.readyState !== 'open') return;
    try {
      this.sb = this.ms.addSourceBuffer(this.mime);
    } catch (err) {
      return this.restart(`addSourceBuffer: ${String(err)}`);
    }
    this.sb.mode = 'segments';
    this.sb.addEventListener('updateend', () => this.pump());
    this.pump();
  }

  private pump(): void {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0) return;
    if (this.trim(sb)) return; // remove() runs first; its updateend pumps again
    const next = this.queue.shift()!;
    try {
      if (next instanceof ArrayBuffer) {
        sb.appendBuffer(next);
        this.stats.appended++;
      } else {
        sb.changeType(next.changeType);
        this.pump();
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === 'QuotaExceededError' && next instanceof ArrayBuffer) {
        // the buffer is full: drop everything before the playhead and try again
        this.queue.unshift(next);
        const b = sb.buffered;
        const cut = this.video.currentTime - 1;
        if (b.length && cut > b.start(0)) sb.remove(b.start(0), cut);
        else this.restart('buffer full');
        return;
      }
      this.restart(`append: ${String(err)}`);
    }
  }

  /** Removes media well behind the playhead; true when a remove() started. */
  private trim(sb: SourceBuffer): boolean {
    const b = sb.buffered;
    const t = this.video.currentTime;
    if (!b.length || t - b.start(0) < TRIM_AT_S) return false;
    sb.remove(b.start(0), t - KEEP_BEHIND_S);
    return true;
  }

  private readonly chase = (): void => {
    if (this.ws && Date.now() - this.lastDataAt > SILENCE_MS) return this.restart('no media');
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const behind = end - v.currentTime;
    // past a gap or far behind: jump near the end (the decoder runs up from the keyframe before it)
    if (behind > MAX_BEHIND_S || v.currentTime < b.start(0)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - JUMP_TARGET_S);
      this.stats.jumps++;
    }
    const rate = behind > CATCH_UP_S ? CATCH_UP_RATE : 1;
    if (v.playbackRate !== rate) v.playbackRate = rate;
    if (v.paused && v.readyState >= 2) v.play().catch(() => {});
  };

  private readonly onPlaying = (): void => {
    this.retryMs = RETRY_MIN_MS;
    this.setState('playing');
  };

  private readonly onVideoError = (): void => {
    if (!this.ms || this.video.currentSrc !== this.objectUrl) return; // not ours: an earlier source we tore down
    this.restart(`video: ${this.video.error?.message ?? 'decode error'}`);
  };

  private restart(why: string): void {
    if (this.stopped) return;
    this.stats.errors.push(why);
    if (this.stats.errors.length > 20) this.stats.errors.shift();
    this.teardown();
    this.setState('waiting', why);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    // a browser that cannot play the codec will not learn to: ask again rarely
    const delay = this.state === 'unsupported' ? 30_000 : this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  private teardown(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
      ws.close();
    }
    this.queue = [];
    this.sb = null;
    this.mime = null;
    this.ms = null;
    if (this.objectUrl) {
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = null;
      this.video.removeAttribute('src');
      this.video.load();
    }
  }
}
