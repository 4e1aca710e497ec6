/**
 * The reader against files our muxer wrote from real media: scanning (whole
 * and incremental), torn tails at every byte, garbage, damaged fragments, and
 * sample byte ranges that must point at the exact payloads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { Fmp4Fragmenter, type Fragment } from '../../src/mp4/fragmenter.js';
import {
  Mp4FragmentScanner, readBoxHeader, readBoxes, readFragmentSamples, scanFragments, type BoxHeader, type ScanResult,
} from '../../src/mp4/mp4-reader.js';
import { demuxFlvFile, prng } from '../media/flv-file.js';
import { fixture } from '../media/ffprobe.js';

function muxFixture(name: string, fragmentMs = 500) {
  const { configs, frames } = demuxFlvFile(fixture(name));
  const m = new Fmp4Fragmenter({
    video: configs.find((c) => c.track === 'video') as Extract<CodecConfig, { track: 'video' }>,
    audio: configs.find((c) => c.track === 'audio') as Extract<CodecConfig, { track: 'audio' }>,
    fragmentMs,
    timeBase: 0,
  });
  const init = m.initSegment();
  const fragments: Fragment[] = [...frames.flatMap((f) => m.push(f)), ...m.flush()];
  const file = Buffer.concat([init, ...fragments.flatMap((f) => f.parts)]);
  const ends: number[] = [];
  let at = init.length;
  for (const f of fragments) ends.push((at += f.byteLength));
  return { init, fragments, frames, file, ends };
}

const FILE = muxFixture('h264-aac-bframes.flv');
const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

test('scanFragments finds the init and every fragment with its offset, size, sequence, times and keyframe flag', () => {
  const { init, fragments, file, ends } = FILE;
  const r = scanFragments(file);
  assert.equal(r.error, undefined);
  assert.equal(r.validEnd, file.length);
  assert.deepEqual(r.init, {
    end: init.length,
    tracks: [
      { id: 1, timescale: 90000, handler: 'vide', codec: 'avc1', defaults: { duration: 0, size: 0, flags: 0 } },
      { id: 2, timescale: 44100, handler: 'soun', codec: 'mp4a', defaults: { duration: 0, size: 0, flags: 0 } },
    ],
  });
  assert.ok(fragments.length >= 4);
  assert.deepEqual(
    r.fragments.map((f) => [f.offset, f.byteLength, f.sequence, f.keyframe]),
    fragments.map((f, i) => [ends[i] - f.byteLength, f.byteLength, f.sequence, f.keyframe]),
  );
  r.fragments.forEach((f, i) => {
    assert.ok(Math.abs(f.firstDts - fragments[i].startDts) <= 1 && Math.abs(f.lastDtsEnd - fragments[i].endDts) <= 1, `fragment ${i}`);
  });
});

test('pcma file: alaw sample entry, 8 kHz timescale', () => {
  const { file } = muxFixture('h264-pcma.flv', 1000);
  const r = scanFragments(file);
  assert.deepEqual(r.init!.tracks.map((t) => [t.handler, t.timescale, t.codec]), [['vide', 90000, 'avc1'], ['soun', 8000, 'alaw']]);
  assert.equal(r.validEnd, file.length);
});

function expectedValidEnd(cut: number): number {
  const complete = FILE.ends.filter((e) => e <= cut);
  if (complete.length > 0) return complete[complete.length - 1];
  return cut >= FILE.init.length ? FILE.init.length : 0;
}

test('torn tails: cut at every byte of the last fragment and every 37th byte before, validEnd is the last complete pair', () => {
  const { file, ends } = FILE;
  const lastStart = ends[ends.length - 2];
  const cuts: number[] = [];
  for (let c = 0; c < lastStart; c += 37) cuts.push(c);
  for (let c = lastStart; c <= file.length; c++) cuts.push(c);
  for (const cut of cuts) {
    const r = scanFragments(file.subarray(0, cut));
    assert.equal(r.validEnd, expectedValidEnd(cut), `cut at ${cut}`);
    assert.equal(r.error, undefined, `a torn tail is not an error (cut at ${cut})`);
    assert.equal(r.fragments.length, ends.filter((e) => e <= cut).length);
    assert.equal(r.init === null, cut < FILE.init.length);
  }
});

test('the incremental scanner gives the same answer for any chunking', () => {
  const rand = prng(7);
  const whole = scanFragments(FILE.file);
  for (let round = 0; round < 20; round++) {
    const s = new Mp4FragmentScanner();
    const seen = [];
    for (let p = 0; p < FILE.file.length; ) {
      const n = 1 + Math.floor(rand() * (round < 5 ? 16 : 5000));
      seen.push(...s.push(FILE.file.subarray(p, p + n)));
      p += n;
    }
    s.finish();
    assert.deepEqual(s.result, whole);
    assert.deepEqual(seen, whole.fragments);
  }
  // resuming at a known fragment with the init from the index
  const from = whole.fragments[2];
  const tail = scanFragments(FILE.file.subarray(from.offset), { startOffset: from.offset, init: whole.init! });
  assert.deepEqual(tail.fragments, whole.fragments.slice(2));
  assert.equal(tail.validEnd, FILE.file.length);
});

test('garbage after the last fragment leaves validEnd where it was', () => {
  const rand = prng(3);
  const noise = Buffer.from(Array.from({ length: 3000 }, () => Math.floor(rand() * 256)));
  const fakeMoof = Buffer.from('7fffffff6d6f6f66', 'hex');
  for (const tail of [noise, Buffer.alloc(4096), Buffer.from('hello, world: not a box at all\n'), fakeMoof, Buffer.from([0, 0, 0])]) {
    const r = scanFragments(Buffer.concat([FILE.file, tail]));
    assert.equal(r.validEnd, FILE.file.length);
    assert.equal(r.fragments.length, FILE.fragments.length);
  }
  assert.match(scanFragments(Buffer.concat([FILE.file, Buffer.alloc(64)])).error!, /MP4_GARBAGE/);
});

test('readFragmentSamples: byte ranges point at the exact payloads, times and keyframes match the frames', () => {
  const { file, frames } = FILE;
  const r = scanFragments(file);
  const got: Record<string, { dts: number; pts: number; keyframe: boolean; bytes: Buffer }[]> = { vide: [], soun: [] };
  for (const f of r.fragments) {
    const moof = readBoxHeader(file, f.offset)!;
    const mdat = readBoxHeader(file, moof.end)!;
    const tracks = readFragmentSamples(file.subarray(f.offset, moof.end), moof.end, r.init!.tracks, mdat.end - mdat.start);
    for (const t of tracks) {
      for (const s of t.samples) got[t.handler].push({ dts: s.dts, pts: s.pts, keyframe: s.keyframe, bytes: file.subarray(s.offset, s.offset + s.size) });
    }
  }
  for (const [handler, track] of [['vide', 'video'], ['soun', 'audio']] as const) {
    const want = frames.filter((f) => f.track === track);
    assert.equal(got[handler].length, want.length);
    got[handler].forEach((s, i) => {
      assert.ok(s.bytes.equals(want[i].payload), `${track} ${i} bytes`);
      assert.ok(Math.abs(s.dts - want[i].dts) <= 1 && Math.abs(s.pts - want[i].pts) <= 1, `${track} ${i}: ${s.dts}/${s.pts} vs ${want[i].dts}/${want[i].pts}`);
      assert.equal(s.keyframe, want[i].keyframe);
    });
  }
  const first = r.fragments[0];
  const moofEnd = readBoxHeader(file, first.offset)!.end;
  assert.throws(() => readFragmentSamples(file.subarray(first.offset, moofEnd), moofEnd, r.init!.tracks, 100), isCode('MP4_TRUN_OUTSIDE_MDAT'));
  assert.throws(() => readFragmentSamples(file.subarray(moofEnd), moofEnd, r.init!.tracks), isCode('MP4_NOT_MOOF'));
  assert.throws(() => readFragmentSamples(file.subarray(first.offset, moofEnd), moofEnd, r.init!.tracks.slice(1)), isCode('MP4_UNKNOWN_TRACK'));
});

/** the first trun box of the moof at `offset` */
function firstTrun(file: Buffer, offset: number): BoxHeader {
  const moof = readBoxHeader(file, offset)!;
  const traf = readBoxes(file, moof.start + 8, moof.end, 1).boxes.find((b) => b.type === 'traf')!;
  return readBoxes(file, traf.start + 8, traf.end, 2).boxes.find((b) => b.type === 'trun')!;
}

test('damaged fragments stop the scan at the last good pair, with an MP4_* error', () => {
  const { file, ends } = FILE;
  const lastOffset = ends[ends.length - 2];
  const damage = (patch: (b: Buffer) => void): ScanResult => {
    const b = Buffer.from(file);
    patch(b);
    return scanFragments(b);
  };
  const trun = firstTrun(file, lastOffset);
  // first sample size (after header, version/flags, count, data_offset, duration) made huge: runs past the mdat
  let r = damage((b) => b.writeUInt32BE(0x10000000, trun.start + 24));
  assert.equal(r.validEnd, lastOffset);
  assert.match(r.error!, /MP4_TRUN_OUTSIDE_MDAT/);
  // a sample count the box has no room for: rejected before reading (or allocating) anything
  r = damage((b) => b.writeUInt32BE(0xffffffff, trun.start + 12));
  assert.equal(r.validEnd, lastOffset);
  assert.match(r.error!, /MP4_BOX_TRUNCATED/);
  // a child box overrunning the moof
  r = damage((b) => b.writeUInt32BE(0xfffffff, lastOffset + 8));
  assert.match(r.error!, /MP4_BOX_OVERRUN/);
  // the moof's mdat replaced by another box
  r = damage((b) => b.write('free', readBoxHeader(file, lastOffset)!.end + 4, 'latin1'));
  assert.match(r.error!, /MP4_MOOF_WITHOUT_MDAT/);
  assert.equal(r.validEnd, lastOffset);
  // a moof before any moov
  assert.match(scanFragments(file.subarray(lastOffset)).error!, /MP4_NO_INIT/);
});

test('the last mdat may be open-ended (size 0) or use a 64-bit largesize', () => {
  const { file, ends } = FILE;
  const lastOffset = ends[ends.length - 2];
  const mdat = readBoxHeader(file, readBoxHeader(file, lastOffset)!.end)!;
  const open = Buffer.from(file);
  open.writeUInt32BE(0, mdat.start);
  assert.equal(scanFragments(open).validEnd, file.length);
  assert.equal(scanFragments(open).fragments.length, FILE.fragments.length);
  // largesize: 8 more header bytes, so every data_offset of that moof moves by 8
  const large = Buffer.concat([file.subarray(0, mdat.start), Buffer.alloc(16), file.subarray(mdat.start + 8)]);
  large.writeUInt32BE(1, mdat.start);
  large.write('mdat', mdat.start + 4, 'latin1');
  large.writeUInt32BE(mdat.end - mdat.start + 8, mdat.start + 12);
  const moof = readBoxHeader(large, lastOffset)!;
  for (const traf of readBoxes(large, moof.start + 8, moof.end, 1).boxes.filter((b) => b.type === 'traf')) {
    const trun = readBoxes(large, traf.start + 8, traf.end, 2).boxes.find((b) => b.type === 'trun')!;
    large.writeInt32BE(large.readInt32BE(trun.start + 16) + 8, trun.start + 16);
  }
  const r = scanFragments(large);
  assert.equal(r.error, undefined);
  assert.equal(r.validEnd, large.length);
  assert.equal(r.fragments.at(-1)!.byteLength, FILE.fragments.at(-1)!.byteLength + 8);
});

test('readBoxes: size 0 runs to the end, size 1 is 64-bit, a box past the end is torn, nesting is capped', () => {
  // 'free' of 12 bytes, then 'skip' with a 64-bit largesize of 17
  const buf = Buffer.from('0000000c66726565 01020304 00000001736b6970 0000000000000011 0a'.replace(/ /g, ''), 'hex');
  const r = readBoxes(buf);
  assert.deepEqual(r.boxes.map((b) => [b.type, b.start, b.headerSize, b.end]), [['free', 0, 8, 12], ['skip', 12, 16, 29]]);
  assert.equal(r.tornAt, null);
  const torn = readBoxes(buf, 0, 20);
  assert.deepEqual([torn.boxes.length, torn.tornAt], [1, 12]);
  const toEnd = Buffer.from('00000000667265650000', 'hex');
  assert.deepEqual(readBoxes(toEnd).boxes.map((b) => [b.type, b.end]), [['free', 10]]);
  assert.throws(() => readBoxes(Buffer.from('00000003667265650000', 'hex')), isCode('MP4_BOX_SIZE'));
  assert.throws(() => readBoxes(Buffer.from('0000000166726565ffffffff0000ffff', 'hex')), isCode('MP4_BOX_SIZE'));
  // 20 nested boxes: a recursive walk stops at the cap instead of recursing forever
  let nested = Buffer.alloc(0);
  for (let i = 0; i < 20; i++) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(nested.length + 8);
    h.write('moov', 4, 'latin1');
    nested = Buffer.concat([h, nested]);
  }
  const walk = (off: number, end: number, depth: number): void => {
    for (const b of readBoxes(nested, off, end, depth).boxes) walk(b.start + b.headerSize, b.end, depth + 1);
  };
  assert.throws(() => walk(0, nested.length, 0), isCode('MP4_TOO_DEEP'));
});

test('fuzz: flipped bytes never throw from the scanner, and what it accepts reads back or fails as ProtocolError', () => {
  const rand = prng(11);
  const { file } = FILE;
  for (let i = 0; i < 400; i++) {
    const b = Buffer.from(file);
    const flips = 1 + Math.floor(rand() * 6);
    for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    const r = scanFragments(b);
    assert.ok(r.validEnd <= b.length);
    for (const f of r.fragments) {
      assert.ok(f.offset + f.byteLength <= r.validEnd);
      const moof = readBoxHeader(b, f.offset)!;
      try {
        for (const t of readFragmentSamples(b.subarray(f.offset, moof.end), moof.end, r.init!.tracks)) {
          for (const s of t.samples) assert.ok(s.offset >= 0 && s.offset + s.size <= f.offset + f.byteLength);
        }
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
      }
    }
  }
});
