import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flvConfigTag, flvFileHeader, flvFrameTag, flvScriptTag, FLV_FILE_HEADER_SIZE } from '../../src/flv/flv-muxer.js';
import { FlvScanner, scanFlv, type FlvTagInfo } from '../../src/flv/flv-scanner.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import type { AudioInfo, MediaFrame } from '../../src/media/frame.js';
import { flvTags, prng } from '../media/flv-file.js';
import { fixture } from '../media/ffprobe.js';

interface Muxed {
  file: Buffer;
  frames: MediaFrame[];
  /** number of sequence-header tags written */
  configTags: number;
}

/** ffmpeg's fixture -> FlvDemuxer -> our muxer (the recorder's path). */
function muxFixture(name: string, maxFrames = Infinity): Muxed {
  const d = new FlvDemuxer();
  const parts = [flvFileHeader({ audio: true, video: true }), flvScriptTag('onMetaData', { encoder: 'lan-nvr' })];
  const frames: MediaFrame[] = [];
  let configTags = 0;
  let audio: AudioInfo | undefined;
  for (const tag of flvTags(fixture(name))) {
    if ((tag.type !== 8 && tag.type !== 9) || frames.length >= maxFrames) continue;
    for (const o of d.push(tag.type === 9 ? 'video' : 'audio', tag.timestamp, tag.body)) {
      if (o.type === 'config') {
        if (o.config.track === 'audio') audio = o.config.info;
        const t = flvConfigTag(o.config, 0);
        if (t) parts.push(t), configTags++;
      } else if (o.type === 'frame') {
        frames.push(o.frame);
        parts.push(...flvFrameTag(o.frame, o.frame.dts, audio));
      }
    }
  }
  return { file: Buffer.concat(parts), frames, configTags };
}

const BIG = muxFixture('h264-aac-bframes.flv');
const SMALL = muxFixture('h264-pcma.flv', 12);

function feed(file: Buffer, sizes: () => number, opts?: ConstructorParameters<typeof FlvScanner>[0]) {
  const s = new FlvScanner(opts);
  const tags: FlvTagInfo[] = [];
  for (let p = 0; p < file.length; ) {
    const n = Math.max(1, sizes());
    tags.push(...s.push(file.subarray(p, p + n)));
    p += n;
  }
  return { tags, validEnd: s.validEnd, error: s.error, header: s.header };
}

test('our muxed file: offsets chain, sizes, types, timestamps and key frames', () => {
  const { file, frames, configTags } = BIG;
  const r = scanFlv(file);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.header, { audio: true, video: true });
  assert.equal(r.validEnd, file.length);
  assert.equal(r.tags.length, 1 + configTags + frames.length);
  let offset = FLV_FILE_HEADER_SIZE;
  for (const t of r.tags) {
    assert.equal(t.offset, offset);
    assert.equal(file.readUInt32BE(t.offset + t.size - 4), t.size - 4, 'PreviousTagSize');
    offset += t.size;
  }
  assert.equal(offset, file.length);
  assert.deepEqual(r.tags[0], { offset: 13, size: r.tags[0].size, type: 'script', timestamp: 0, keyframe: false, isSequenceHeader: false });
  const headers = r.tags.filter((t) => t.isSequenceHeader);
  assert.deepEqual(headers.map((t) => [t.type, t.keyframe]), [['video', true], ['audio', false]]);
  const media = r.tags.filter((t) => t.type !== 'script' && !t.isSequenceHeader);
  assert.deepEqual(
    media.map((t) => [t.type, t.timestamp, t.keyframe]),
    frames.map((f) => [f.track, f.dts, f.track === 'video' && f.keyframe]),
  );
  assert.ok(media.filter((t) => t.keyframe).length >= 2);
});

test('ffmpeg-written FLV scans whole too', () => {
  for (const name of ['h264-aac-bframes.flv', 'h264-pcma.flv', 'mp3.flv', 'pcmu.flv']) {
    const file = fixture(name);
    const r = scanFlv(file);
    assert.equal(r.error, undefined, name);
    assert.equal(r.validEnd, file.length, name);
    assert.deepEqual(r.tags.map((t) => t.timestamp), [...flvTags(file)].map((t) => t.timestamp));
  }
});

test('any chunking gives identical results; startOffset resumes after the header', () => {
  const whole = scanFlv(BIG.file);
  const rnd = prng(7);
  for (const sizes of [() => 1, () => 7, () => 4096, () => 1 + Math.floor(rnd() * 3000)]) {
    const r = feed(BIG.file, sizes);
    assert.deepEqual([r.tags, r.validEnd, r.error, r.header], [whole.tags, whole.validEnd, undefined, whole.header]);
  }
  const resumed = feed(BIG.file.subarray(13), () => 333, { startOffset: 13 });
  assert.deepEqual([resumed.tags, resumed.validEnd, resumed.header], [whole.tags, whole.validEnd, null]);
  const later = whole.tags[5].offset;
  assert.deepEqual(feed(BIG.file.subarray(later), () => 100, { startOffset: later }).tags, whole.tags.slice(5));
});

test('truncated at every byte: validEnd is the end of the last whole tag, never beyond', () => {
  const { file } = SMALL;
  const full = scanFlv(file);
  const ends = [FLV_FILE_HEADER_SIZE, ...full.tags.map((t) => t.offset + t.size)];
  const expected = (cut: number) => ends.filter((e) => e <= cut).at(-1) ?? 0;
  const byteByByte = new FlvScanner();
  for (let cut = 0; cut <= file.length; cut++) {
    const r = scanFlv(file.subarray(0, cut));
    assert.equal(r.validEnd, expected(cut), `cut at ${cut}`);
    assert.deepEqual(r.tags, full.tags.filter((t) => t.offset + t.size <= cut));
    assert.equal(r.error === undefined, ends.includes(cut), `error reported iff the cut is inside a tag (${cut})`);
    if (cut > 0) byteByByte.push(file.subarray(cut - 1, cut));
    assert.equal(byteByByte.validEnd, expected(cut));
  }
});

test('a corrupted PreviousTagSize ends validity at that tag', () => {
  const full = scanFlv(SMALL.file);
  for (const k of [0, 3, full.tags.length - 1]) {
    const bad = Buffer.from(SMALL.file);
    const t = full.tags[k];
    bad.writeUInt32BE(t.size - 4 + 1, t.offset + t.size - 4);
    const r = scanFlv(bad);
    assert.equal(r.validEnd, t.offset);
    assert.deepEqual(r.tags, full.tags.slice(0, k));
    assert.match(r.error!, /PreviousTagSize/);
  }
});

test('garbage after valid tags: validEnd stops at the last valid tag', () => {
  const rnd = prng(42);
  const full = scanFlv(SMALL.file);
  for (let i = 0; i < 200; i++) {
    const garbage = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 600) }, () => Math.floor(rnd() * 256)));
    if (i % 3 === 0) garbage[0] = 9; // looks like a video tag header
    const r = scanFlv(Buffer.concat([SMALL.file, garbage]));
    assert.equal(r.validEnd, SMALL.file.length);
    assert.deepEqual(r.tags, full.tags);
    assert.ok(r.error);
  }
});

test('fuzz: flipped bytes never throw; tags wholly before the damage are unchanged', () => {
  const rnd = prng(3);
  const full = scanFlv(SMALL.file);
  for (let i = 0; i < 2000; i++) {
    const bad = Buffer.from(SMALL.file);
    const at = Math.floor(rnd() * bad.length);
    bad[at] ^= 1 + Math.floor(rnd() * 255);
    const r = feed(bad, () => 1 + Math.floor(rnd() * 64));
    assert.ok(r.validEnd <= bad.length);
    const before = full.tags.filter((t) => t.offset + t.size <= at);
    assert.deepEqual(r.tags.slice(0, before.length), before);
  }
});

test('bad file headers are damage: validEnd 0', () => {
  for (const head of ['FLX', 'FLV\x02']) {
    const bad = Buffer.from(SMALL.file);
    bad.write(head, 0, 'latin1');
    assert.deepEqual([scanFlv(bad).validEnd, scanFlv(bad).tags.length, scanFlv(bad).header], [0, 0, null]);
    assert.ok(scanFlv(bad).error);
  }
  assert.deepEqual(scanFlv(Buffer.alloc(0)), { header: null, tags: [], validEnd: 0, error: 'incomplete FLV header: 0 of 13 bytes' });
});

/** header + a video tag declaring DataSize 2^24-1 */
const HUGE = Buffer.concat([flvFileHeader({ audio: false, video: true }), Buffer.from('09ffffff00000000000000' + '1701000000', 'hex')]);

test('a tag declaring 2^24-1 bytes: cap hit by default; raised cap skips by counting, no allocation', () => {
  const capped = scanFlv(Buffer.concat([HUGE, Buffer.alloc(100)]));
  assert.deepEqual([capped.validEnd, capped.tags], [13, []]);
  assert.match(capped.error!, /exceeds the 16777216-byte cap/);

  const chunk = Buffer.alloc(1 << 16);
  const remaining = 0xffffff - 5;
  const before = process.memoryUsage(); // before the header: an eager allocation would show
  const s = new FlvScanner({ maxTagSize: 32 << 20 });
  s.push(HUGE);
  let fed = 0;
  for (; fed + chunk.length <= remaining; fed += chunk.length) assert.deepEqual(s.push(chunk), []);
  const after = process.memoryUsage();
  assert.ok(after.arrayBuffers - before.arrayBuffers < 1 << 20, `arrayBuffers grew ${after.arrayBuffers - before.arrayBuffers}`);
  assert.ok(after.rss - before.rss < 8 << 20, `rss grew ${after.rss - before.rss}`);
  assert.deepEqual([s.validEnd, s.error], [13, undefined], 'torn, not damaged, until the bytes run out');
  const tail = Buffer.alloc(remaining - fed + 4);
  tail.writeUInt32BE(11 + 0xffffff, tail.length - 4);
  const [tag] = s.push(tail);
  assert.deepEqual(tag, { offset: 13, size: 11 + 0xffffff + 4, type: 'video', timestamp: 0, keyframe: true, isSequenceHeader: false });
  assert.equal(s.validEnd, 13 + tag.size);
});

test('scanning never modifies its input', () => {
  const copy = Buffer.from(BIG.file);
  scanFlv(BIG.file);
  feed(BIG.file, () => 5);
  const dirty = Buffer.concat([BIG.file.subarray(0, 5000), Buffer.from('garbage!')]);
  const dirtyCopy = Buffer.from(dirty);
  scanFlv(dirty);
  assert.deepEqual(BIG.file, copy);
  assert.deepEqual(dirty, dirtyCopy);
});
