/**
 * Plays recordings from any wall-clock moment through Media Source Extensions.
 *
 * Media comes from the export endpoint in windows (`export.mp4?from=T&to=T+W`),
 * streamed: each chunk fetch() yields is appended at once, so the first
 * picture needs only the init segment and one fragment. The export starts at
 * the keyframe at or before T and says which in `X-Start-Ms`; every window is
 * placed on one media timeline with `timestampOffset`, where media time t is
 * wall time `originMs + t * 1000`, so seeking to T is `currentTime = (T -
 * originMs) / 1000` and the position shown is exactly the time asked for.
 * Windows never cross a recording gap (the export would close it up): the next
 * window starts where the last one asked to end (it overlaps by up to a GOP,
 * which MSE replaces), or at the next recorded span, and playback jumps the
 * gap between buffered ranges. Data far behind the playhead is removed.
 */

export interface Span {
  startMs: number;
  endMs: number;
}

export interface PlayerHost {
  cameraId: string;
  /** recorded spans, oldest first (the page keeps them fresh for a growing day) */
  spans(): readonly Span[];
  /** asks the page to re-read the spans (at the live edge); resolves when done */
  refreshSpans(): Promise<void>;
  onStatus(status: PlayerStatus): void;
  /** seconds of media per fetch at 1x (default WINDOW_S) */
  windowSeconds?: number;
  /** seconds an export may send nothing before it counts as failed (default STALL_S) */
  stallSeconds?: number;
}

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'waiting-live' | 'ended' | 'error';

/** Media seconds of slack when deciding whether a time is already buffered. */
const EPS = 0.05;
/** One window of recording per fetch, in seconds of media at 1x (scaled with the speed). */
const WINDOW_S = 30;
const MAX_WINDOW_S = 600;
/** An export that sends nothing for this long has failed (the server or the network hung): shown, and retried like any failure. */
const STALL_S = 15;
/** Kept behind the playhead (media seconds, scaled with speed) before it is removed. */
const KEEP_BEHIND_S = 30;
/** A media timeline starts this long before the first time asked for, so earlier seeks of the same day fit. */
const ORIGIN_LEAD_MS = 26 * 3600_000;
/** How often to ask for new spans while waiting at the live edge. */
const LIVE_POLL_MS = 1000;

interface Feed {
  abort: AbortController;
  /** the window's requested end (wall ms): where the next window starts */
  toMs: number;
  done: boolean;
  /** when the answer last moved on (asked, headers, a chunk): the stall watchdog's clock */
  movedAt: number;
}

export class RecordingPlayer {
  private ms: MediaSource | null = null;
  private sb: SourceBuffer | null = null;
  /** the current MediaSource's SourceBuffer, once it is open */
  private ready: Promise<SourceBuffer | null> = Promise.resolve(null);
  private mime = '';
  /** wall time (ms) of media time 0 */
  private originMs = 0;
  private feed: Feed | null = null;
  private rate = 1;
  /** the viewer wants sound (unmuted); fetched only then, and at most at 4x, where browsers still play it */
  private wantAudio = false;
  /** false once the camera's audio proved unplayable here (G.711) */
  private audioPlayable = true;
  private timer: ReturnType<typeof setInterval>;
  private status: PlayerStatus = 'idle';
  /** bumped by each playAt: work of an older request stops when it sees a newer one */
  private generation = 0;
  private spansReadAt = 0;
  /** a fetch from a new place started and the video is not yet put at its time */
  private positionPending = false;
  /** failed fetches of the next window in a row, and when to try again (not every tick) */
  private failures = 0;
  private retryAt = 0;
  lastError = '';

  constructor(
    readonly video: HTMLVideoElement,
    private readonly host: PlayerHost,
  ) {
    this.timer = setInterval(() => this.tick(), 250);
    video.addEventListener('playing', () => this.setStatus('playing'));
    video.addEventListener('pause', () => this.status !== 'loading' && this.setStatus('paused'));
  }

  /** Wall time shown now, or null before anything plays. */
  wallTime(): number | null {
    // a new fetch's media shows time 0 until it is put at the asked time: say nothing meanwhile
    if (!this.ms || this.video.readyState < 1 || this.positionPending) return null;
    return this.originMs + this.video.currentTime * 1000;
  }

  /** Plays from wall time t: a seek when it is buffered, else a new fetch from there (or the next recording after it). */
  async playAt(t: number, play = true, refetch = false): Promise<void> {
    const gen = ++this.generation;
    this.failures = 0;
    this.retryAt = 0;
    const span = this.host.spans().find((s) => s.endMs > t);
    if (!span) {
      this.setStatus('ended');
      return;
    }
    const target = Math.max(t, span.startMs);
    const at = (target - this.originMs) / 1000;
    const rangeEnd = !refetch && this.ms && at >= 0 ? this.bufferedEnd(at) : null;
    if (rangeEnd !== null) {
      if (this.feed && !this.feed.done) {
        // a fetch for another place is in flight (a reload for new tracks, say): it will give up on
        // seeing the newer request, so the next window starts where this buffered range ends
        this.stopFeed();
        this.feed = { abort: new AbortController(), toMs: this.originMs + rangeEnd * 1000, done: true, movedAt: Date.now() };
      }
      this.showAt(at);
      if (play) void this.video.play().catch(() => {});
      return;
    }
    this.stopFeed();
    this.setStatus('loading');
    try {
      await this.startFeed(gen, target, span, play);
    } catch (err) {
      if (gen !== this.generation || (err as Error).name === 'AbortError') return;
      this.lastError = (err as Error).message;
      this.setStatus('error');
    }
  }

  /** While scrubbing: shows wall time t if it is buffered (no fetch); true when it did. */
  scrubTo(t: number): boolean {
    if (!this.ms || t < this.originMs || !this.buffered((t - this.originMs) / 1000)) return false;
    if (!this.video.paused) this.video.pause();
    this.showAt((t - this.originMs) / 1000);
    return true;
  }

  setRate(rate: number): void {
    const tracks = this.tracks();
    this.rate = rate;
    this.video.playbackRate = rate;
    if (this.tracks() !== tracks) this.reload();
  }

  /** Sound on or off: audio is only fetched while someone listens. */
  setAudio(on: boolean): void {
    const tracks = this.tracks();
    this.wantAudio = on;
    if (this.tracks() !== tracks) this.reload();
  }

  /**
   * What to fetch: sound only for a listener at up to 4x (browsers mute above
   * that); keyframes only from 8x, so 16x decodes a few pictures a second
   * rather than 16x the frame rate (a phone or a busy PC cannot).
   */
  private tracks(): 'all' | 'video' | 'key' {
    if (this.rate >= 8) return 'key';
    return this.wantAudio && this.audioPlayable && this.rate <= 4 ? 'all' : 'video';
  }

  /** Fetches again from the position shown, with the tracks now wanted. */
  private reload(): void {
    const t = this.wallTime();
    if (t === null) return;
    this.mime = ''; // forces a new MediaSource for the other track set
    this.stopFeed();
    void this.playAt(t, !this.video.paused, true);
  }

  togglePlay(): void {
    if (this.video.paused) void this.video.play().catch(() => {});
    else this.video.pause();
  }

  destroy(): void {
    clearInterval(this.timer);
    this.generation++;
    this.stopFeed();
    this.video.removeAttribute('src');
    this.video.load();
  }

  private setStatus(s: PlayerStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.host.onStatus(s);
  }

  private windowMs(): number {
    return Math.min(MAX_WINDOW_S, (this.host.windowSeconds ?? WINDOW_S) * Math.max(1, this.rate)) * 1000;
  }

  private stopFeed(): void {
    this.feed?.abort.abort();
    this.feed = null;
  }

  /**
   * Fetches [from, min(from + window, span end)) and appends it as it streams;
   * the first one seeks and plays. However it ends short of the whole window
   * (superseded, failed), its fetch is aborted: an answer left unread holds
   * one of the server's export slots and one of the browser's connections.
   */
  private async startFeed(gen: number, from: number, span: Span, seek: boolean | 'continue'): Promise<void> {
    const toMs = Math.min(from + this.windowMs(), span.endMs);
    const feed: Feed = { abort: new AbortController(), toMs, done: false, movedAt: Date.now() };
    this.feed = feed;
    // aborting with an Error (not an AbortError) makes the stall a failure: shown for a click, retried for a next window
    const stallMs = (this.host.stallSeconds ?? STALL_S) * 1000;
    const watchdog = setInterval(() => {
      if (Date.now() - feed.movedAt > stallMs) feed.abort.abort(new Error(`the server sent nothing for ${stallMs / 1000} s`));
    }, Math.min(1000, stallMs / 4));
    try {
      await this.runFeed(gen, feed, from, seek);
    } finally {
      clearInterval(watchdog);
      if (!feed.done) feed.abort.abort();
    }
  }

  private async runFeed(gen: number, feed: Feed, from: number, seek: boolean | 'continue'): Promise<void> {
    const { toMs } = feed;
    const url = (tracks: 'all' | 'video' | 'key') =>
      `/api/cameras/${encodeURIComponent(this.host.cameraId)}/export.mp4?from=${Math.floor(from)}&to=${Math.ceil(toMs)}` +
      (tracks === 'key' ? '&tracks=video&frames=key' : `&tracks=${tracks}`);
    const tracks = this.tracks();
    let res = await fetchExport(url(tracks), feed.abort.signal);
    feed.movedAt = Date.now();
    let mime = res.headers.get('x-codecs') ?? '';
    if (res.ok && tracks === 'all' && !MediaSource.isTypeSupported(mime)) {
      // e.g. G.711 audio, which no browser plays from MP4: video alone from now on
      void res.body?.cancel();
      this.audioPlayable = false;
      res = await fetchExport(url('video'), feed.abort.signal);
      mime = res.headers.get('x-codecs') ?? '';
    }
    if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
    const startMs = Number(res.headers.get('x-start-ms'));
    if (!Number.isFinite(startMs) || !mime) throw new Error('export did not say where it starts or what codecs it has');
    if (!MediaSource.isTypeSupported(mime)) throw new Error(`this browser cannot play ${mime}`);

    if (gen !== this.generation) return; // a newer request took over while this one was asked
    const fresh = !this.ms || this.broken() || mime !== this.mime || (seek !== 'continue' && startMs < this.originMs);
    if (fresh) {
      // another codec or track set (a reconfigured camera, sound switched on) needs a new MediaSource;
      // so does one the element gave up on (a decode error closes it)
      if (seek === 'continue') seek = !this.video.paused;
      this.newMediaSource(mime, startMs - ORIGIN_LEAD_MS);
    }
    const sb = await this.ready;
    if (gen !== this.generation || !sb) return;
    if (seek !== 'continue') this.positionPending = true;
    if (!fresh && seek !== 'continue') await clearBuffer(sb);
    await idle(sb);
    if (gen !== this.generation) return;
    // an earlier fetch may have stopped inside a fragment: the offset cannot change until the parser is reset
    sb.abort();
    sb.timestampOffset = (startMs - this.originMs) / 1000;

    const target = (Math.max(from, startMs) - this.originMs) / 1000;
    const reader = res.body.getReader();
    let sought = seek === 'continue';
    for (;;) {
      const { done, value } = await reader.read();
      feed.movedAt = Date.now();
      if (gen !== this.generation || this.feed !== feed) return;
      if (done) break;
      await this.append(sb, value);
      if (!sought && this.buffered(target)) {
        sought = true;
        this.showAt(target);
        this.video.playbackRate = this.rate;
        if (seek) void this.video.play().catch(() => {});
        else this.setStatus('paused');
      }
    }
    feed.done = true;
    if (!sought) throw new Error('the recording there could not be read');
  }

  /**
   * Replaces the MediaSource at once (so a request racing this one sees the
   * new one); `ready` gives its SourceBuffer once it opens, or null if yet
   * another replaced it first.
   */
  private newMediaSource(mime: string, originMs: number): void {
    const ms = new MediaSource();
    this.ms = ms;
    this.sb = null;
    this.mime = mime;
    this.originMs = originMs;
    // on the element, from the moment its timeline changes, for whoever reads positions off it (the tests)
    this.video.dataset.originMs = String(originMs);
    const url = URL.createObjectURL(ms);
    this.video.src = url;
    this.ready = new Promise((resolve) =>
      ms.addEventListener(
        'sourceopen',
        () => {
          URL.revokeObjectURL(url);
          if (this.ms !== ms) return resolve(null);
          this.sb = ms.addSourceBuffer(mime);
          resolve(this.sb);
        },
        { once: true },
      ),
    );
  }

  private async append(sb: SourceBuffer, chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    await idle(sb);
    try {
      sb.appendBuffer(chunk);
    } catch (err) {
      if ((err as DOMException).name !== 'QuotaExceededError') throw err;
      // full: drop what was played and try once more
      await this.trimBehind(5);
      sb.appendBuffer(chunk);
    }
    await idle(sb);
  }

  /** Puts the video at media time s: its position is known from here, whatever a fetch that never got that far had said. */
  private showAt(s: number): void {
    this.video.currentTime = s;
    this.positionPending = false;
  }

  /** The MediaSource can take no more: the element failed (a decode error) or closed it. */
  private broken(): boolean {
    return this.video.error !== null || (this.sb !== null && this.ms?.readyState !== 'open');
  }

  /** End of the buffered range holding t (seconds), or null when none does. */
  private bufferedEnd(t: number): number | null {
    const b = this.sb?.buffered;
    if (b) for (let i = 0; i < b.length; i++) if (t >= b.start(i) - EPS && t < b.end(i) - EPS) return b.end(i);
    return null;
  }

  private buffered(t: number): boolean {
    return this.bufferedEnd(t) !== null;
  }

  private async trimBehind(keepS: number): Promise<void> {
    const sb = this.sb;
    const cut = this.video.currentTime - keepS;
    if (!sb || sb.updating || !sb.buffered.length || sb.buffered.start(0) >= cut - 1) return;
    sb.remove(0, cut);
    await idle(sb);
  }

  /** Four times a second: jump gaps, fetch the next window in time, trim, notice the live edge. */
  private tick(): void {
    const sb = this.sb;
    const v = this.video;
    if (!sb || !this.ms || this.ms.readyState !== 'open') return;
    const t = v.currentTime;
    const b = sb.buffered;
    let end = t;
    let nextStart: number | null = null;
    for (let i = 0; i < b.length; i++) {
      if (t >= b.start(i) - EPS && t < b.end(i)) end = b.end(i);
      else if (b.start(i) > t && nextStart === null) nextStart = b.start(i);
    }
    // at the end of one buffered range with another after it: a recording gap, skip it
    if (end - t < 0.3 && nextStart !== null && !v.paused) v.currentTime = nextStart;

    const feed = this.feed;
    const aheadS = end - t;
    if (feed?.done && aheadS < this.windowMs() / 2000 && Date.now() >= this.retryAt) void this.continueFeed(feed);
    if (!sb.updating) void this.trimBehind(KEEP_BEHIND_S * Math.max(1, this.rate));
  }

  /** The window after `prev`: the rest of its span, else the next span, else wait at the live edge. */
  private async continueFeed(prev: Feed): Promise<void> {
    if (this.feed !== prev) return;
    this.feed = null;
    const gen = this.generation;
    let span = this.host.spans().find((s) => s.endMs > prev.toMs + 1);
    if (!span && Date.now() - this.spansReadAt > LIVE_POLL_MS) {
      this.spansReadAt = Date.now();
      await this.host.refreshSpans();
      if (gen !== this.generation) return;
      span = this.host.spans().find((s) => s.endMs > prev.toMs + 1);
    }
    if (!span) {
      // nothing recorded after this yet: check again shortly (today's recording grows)
      this.feed = prev;
      const atEnd = this.video.currentTime >= (prev.toMs - this.originMs) / 1000 - 0.5;
      const stillRecording = Date.now() - prev.toMs < 60_000;
      if (atEnd) this.setStatus(stillRecording ? 'waiting-live' : 'ended');
      return;
    }
    try {
      await this.startFeed(gen, Math.max(prev.toMs, span.startMs), span, 'continue');
      this.failures = 0;
    } catch (err) {
      if ((err as Error).name === 'AbortError' || gen !== this.generation) return;
      this.lastError = (err as Error).message;
      // keep playing what is buffered; try this window again later, less often each time
      this.feed = prev;
      this.retryAt = Date.now() + Math.min(10_000, 500 * 2 ** this.failures++);
    }
  }
}

/**
 * fetch() of an export, retried a few times when the server has too many
 * exports running (429 per client, 503 overall: http.limits.maxExports*), as
 * happens for a moment when a scrub aborts one fetch and starts the next.
 */
async function fetchExport(url: string, signal: AbortSignal): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { signal, credentials: 'same-origin' });
    if ((res.status !== 429 && res.status !== 503) || attempt >= 4) return res;
    void res.body?.cancel();
    await new Promise((r) => setTimeout(r, 150 * (attempt + 1)));
    signal.throwIfAborted();
  }
}

/** Empties a SourceBuffer for a fetch somewhere else. */
async function clearBuffer(sb: SourceBuffer): Promise<void> {
  if (sb.updating) sb.abort();
  await idle(sb);
  if (sb.buffered.length) {
    sb.remove(0, Number.POSITIVE_INFINITY);
    await idle(sb);
  }
}

function idle(sb: SourceBuffer): Promise<void> {
  if (!sb.updating) return Promise.resolve();
  return new Promise((resolve) => sb.addEventListener('updateend', () => resolve(), { once: true }));
}
