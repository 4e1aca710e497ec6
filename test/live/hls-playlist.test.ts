/** Playlist text for known segments: plain HLS and LL-HLS, discontinuities, maps, durations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partTarget, renderPlaylist, targetDuration } from '../../src/live/hls/playlist.js';
import type { HlsPart, HlsSegment } from '../../src/live/hls/segment-window.js';

const T0 = Date.UTC(2026, 10, 25, 14, 0, 0);
let partId = 500;

function seg(msn: number, parts: number[], more: Partial<HlsSegment> = {}): HlsSegment {
  const ps: HlsPart[] = parts.map((d, index) => ({ id: partId++, msn, index, durationMs: d, independent: index === 0, data: Buffer.alloc(1) }));
  return {
    msn,
    initId: 1,
    discontinuity: false,
    discSeq: 0,
    wallMs: T0 + (msn - 10) * 1000,
    parts: ps,
    durationMs: parts.reduce((a, b) => a + b, 0),
    byteLength: parts.length,
    complete: true,
    ...more,
  };
}

test('plain HLS: version 7, target duration, media sequence, map once, EXTINF per segment', () => {
  partId = 500;
  const text = renderPlaylist({ segments: [seg(10, [1000]), seg(11, [1040]), seg(12, [960])], targetDurationS: 1, partTargetMs: null });
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:10',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="init-1.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-25T14:00:00.000Z',
      '#EXTINF:1.000,',
      'seg-10.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-25T14:00:01.000Z',
      '#EXTINF:1.040,',
      'seg-11.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-25T14:00:02.000Z',
      '#EXTINF:0.960,',
      'seg-12.m4s',
      '',
    ].join('\n'),
  );
});

test('a reconnect: EXT-X-DISCONTINUITY, a new EXT-X-MAP when the init changed; the discontinuity sequence once the first segment is past one', () => {
  const a = seg(20, [1000], { discSeq: 2 });
  const b = seg(21, [1000], { discSeq: 3, discontinuity: true }); // same init: no new map
  const c = seg(22, [1000], { discSeq: 4, discontinuity: true, initId: 2 });
  const text = renderPlaylist({ segments: [a, b, c], targetDurationS: 1, partTargetMs: null });
  const lines = text.split('\n').filter((l) => !l.startsWith('#EXT-X-PROGRAM-DATE-TIME'));
  assert.deepEqual(lines.slice(3), [
    '#EXT-X-MEDIA-SEQUENCE:20',
    '#EXT-X-DISCONTINUITY-SEQUENCE:2',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXTINF:1.000,',
    'seg-20.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXTINF:1.000,',
    'seg-21.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-MAP:URI="init-2.mp4"',
    '#EXTINF:1.000,',
    'seg-22.m4s',
    '',
  ]);
  // the first listed segment's own discontinuity is carried by the sequence number, not a tag
  const first = renderPlaylist({ segments: [b, c], targetDurationS: 1, partTargetMs: null });
  assert.match(first, /#EXT-X-DISCONTINUITY-SEQUENCE:3\n/);
  assert.equal(first.match(/#EXT-X-DISCONTINUITY\n/g)?.length, 1);
});

test('LL-HLS: server control, part info, parts of the recent segments, the open segment and a preload hint', () => {
  partId = 100;
  const old = seg(5, [1000]); // parts 100
  const recent = seg(6, [200, 200, 200, 200, 200]); // parts 101-105
  const open = seg(7, [200, 200], { complete: false }); // parts 106-107
  const text = renderPlaylist({ segments: [old, recent, open], targetDurationS: 1, partTargetMs: 210, partsFromMsn: 6, preloadPartId: 108 });
  const lines = text.split('\n').filter((l) => !l.startsWith('#EXT-X-PROGRAM-DATE-TIME'));
  assert.deepEqual(lines, [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.630',
    '#EXT-X-PART-INF:PART-TARGET=0.210',
    '#EXT-X-MEDIA-SEQUENCE:5',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXTINF:1.000,',
    'seg-5.m4s',
    '#EXT-X-PART:DURATION=0.200,URI="part-101.m4s",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.200,URI="part-102.m4s"',
    '#EXT-X-PART:DURATION=0.200,URI="part-103.m4s"',
    '#EXT-X-PART:DURATION=0.200,URI="part-104.m4s"',
    '#EXT-X-PART:DURATION=0.200,URI="part-105.m4s"',
    '#EXTINF:1.000,',
    'seg-6.m4s',
    '#EXT-X-PART:DURATION=0.200,URI="part-106.m4s",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.200,URI="part-107.m4s"',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-108.m4s"',
    '',
  ]);
  // no run going on (publisher gone): no hint
  assert.doesNotMatch(renderPlaylist({ segments: [old, recent], targetDurationS: 1, partTargetMs: 210, preloadPartId: null }), /PRELOAD-HINT/);
});

test('EXT-X-INDEPENDENT-SEGMENTS only when every listed segment starts on a keyframe', () => {
  const s = seg(1, [1000]);
  const cutForLength = seg(2, [1000]);
  cutForLength.parts[0].independent = false;
  assert.doesNotMatch(renderPlaylist({ segments: [s, cutForLength], targetDurationS: 1, partTargetMs: null }), /INDEPENDENT-SEGMENTS/);
});

test('target durations: rounded segment durations fit; part targets cover every part and keep parts above 85%', () => {
  assert.equal(targetDuration(0), 1);
  assert.equal(targetDuration(1040), 1);
  assert.equal(targetDuration(1499), 1);
  assert.equal(targetDuration(1500), 2);
  assert.equal(targetDuration(4000), 4);
  assert.equal(partTarget(200, 0), 210);
  assert.equal(partTarget(200, 200), 210);
  assert.equal(partTarget(200, 201), 210);
  assert.equal(partTarget(200, 240), 250); // 12.5 fps: 3 frames of 80 ms
  assert.ok(200 / partTarget(200, 200) >= 0.85);
  assert.throws(() => renderPlaylist({ segments: [], targetDurationS: 1, partTargetMs: null }), RangeError);
});
