import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { annexBAccessUnit, parameterSets } from '../../src/motion/access-unit.js';
import { DecoderProcess, type DecoderExit, type Picture } from '../../src/motion/decoder-process.js';
import { chooseFfmpeg } from '../../src/motion/ffmpeg-path.js';
import type { CodecConfig, VideoCodec } from '../../src/media/frame.js';
import { auPayload, hevcAccessUnits, hevcRecord } from '../helpers/hevc-tags.js';
import { makeFlvClip, makeHevcClip, readFlvClip } from './clips.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'nvr-decoder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Key {
  pts: number;
  au: Buffer;
}

let h264: Key[];
let h264B: Key[];
let hevc: Key[];

function keysFromFlv(file: string): Key[] {
  const { config, frames } = readFlvClip(file);
  const ps = parameterSets(config);
  return frames.filter((f) => f.keyframe).map((f) => ({ pts: f.pts, au: annexBAccessUnit(config.codec, f.payload, ps) }));
}

before(() => {
  const spec = { seconds: 6, width: 640, height: 360, fps: 10, gopSeconds: 1, scene: { kind: 'box' as const, intervals: [[1, 5] as const] } };
  makeFlvClip(join(dir, 'a.flv'), spec);
  makeFlvClip(join(dir, 'b.flv'), { ...spec, bframes: true });
  makeHevcClip(join(dir, 'c.hevc'), { ...spec, bframes: true });
  h264 = keysFromFlv(join(dir, 'a.flv'));
  h264B = keysFromFlv(join(dir, 'b.flv'));
  const { vps, sps, pps, units } = hevcAccessUnits(readFileSync(join(dir, 'c.hevc')));
  const config = { track: 'video', codec: 'h265', record: hevcRecord(vps, sps, pps), info: { codec: 'h265', width: 640, height: 360 } } as unknown as Extract<CodecConfig, { track: 'video' }>;
  const ps = parameterSets(config);
  // 10 fps: access unit n is at n * 100 ms
  hevc = units.flatMap((u, n) => (u.keyframe ? [{ pts: n * 100, au: annexBAccessUnit('h265', auPayload(u), ps) }] : []));
});

/** Starts a decoder, collects what it returns. */
function decoder(ffmpegPath: string, codec: VideoCodec = 'h264') {
  const pictures: Picture<number>[] = [];
  const skipped: number[] = [];
  let exit: DecoderExit | undefined;
  const d = new DecoderProcess<number>(
    { ffmpegPath, codec, width: 640, height: 360, outWidth: 320, outHeight: 180, extraFps: null },
    { onPicture: (p) => pictures.push(p), onSkipped: (m) => skipped.push(...m), onExit: (e) => (exit = e) },
    log,
  );
  return { d, pictures, skipped, exit: () => exit };
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const binaries = [chooseFfmpeg(null).path, '/usr/bin/ffmpeg'].filter((p, i, all) => existsSync(p) && all.indexOf(p) === i);

for (const bin of binaries) {
  describe(`decoder process with ${bin.includes('node_modules') ? 'the packaged ffmpeg' : bin}`, () => {
    test('H.264 keyframes come back one by one, each before the next is sent, with their pts', async () => {
      const { d, pictures } = decoder(bin);
      for (const [i, k] of h264.entries()) {
        d.send(k.pts, k.au, i);
        await until(`picture ${i}`, () => pictures.length === i + 1);
      }
      assert.deepEqual(pictures.map((p) => p.pts), h264.map((k) => k.pts));
      assert.deepEqual(pictures.map((p) => p.meta), h264.map((_, i) => i));
      for (const p of pictures) {
        assert.equal(p.rgb.length, 320 * 180 * 3);
        assert.equal(p.damaged, false);
      }
      // colour bars: the top-left bar is light grey
      const p = pictures[0].rgb;
      assert.ok(p[0] > 120 && p[1] > 120 && p[2] > 120, `top-left pixel ${p[0]},${p[1]},${p[2]}`);
      await d.end();
    });

    test('B-frame streams: held-back pictures come out when the input ends', async () => {
      const { d, pictures } = decoder(bin);
      h264B.forEach((k, i) => d.send(k.pts, k.au, i));
      await d.end();
      assert.deepEqual(pictures.map((p) => p.pts), h264B.map((k) => k.pts));
    });

    test('HEVC keyframes decode', async () => {
      const { d, pictures } = decoder(bin, 'h265');
      hevc.forEach((k, i) => d.send(k.pts, k.au, i));
      await d.end();
      assert.deepEqual(pictures.map((p) => p.pts), hevc.map((k) => k.pts));
    });

    test('a corrupt keyframe is skipped or flagged, and the ones after it still decode', async () => {
      const { d, pictures, skipped, exit } = decoder(bin);
      const bad = Buffer.from(h264[2].au);
      // keep the parameter sets and the slice header, scramble the slice data
      for (let i = 80; i < bad.length; i += 7) bad[i] ^= 0x5a;
      const garbage = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65]), Buffer.alloc(500, 0xff)]);
      d.send(h264[0].pts, h264[0].au, 0);
      d.send(h264[1].pts, garbage, 1);
      d.send(h264[2].pts, bad, 2);
      d.send(h264[3].pts, h264[3].au, 3);
      await until('the last good keyframe', () => pictures.some((p) => p.meta === 3));
      assert.equal(exit(), undefined, 'ffmpeg keeps running');
      const seen = new Map(pictures.map((p) => [p.meta, p.damaged]));
      assert.equal(seen.get(0), false);
      assert.equal(seen.get(3), false);
      for (const m of [1, 2]) assert.ok(skipped.includes(m) || seen.get(m) === true, `frame ${m}: skipped ${skipped}, damaged ${seen.get(m)}`);
      await d.end();
    });
  });
}

test('a missing ffmpeg binary is an exit with ENOENT, not a throw', async () => {
  const { d, exit } = decoder(join(dir, 'no-such-ffmpeg'));
  d.send(h264[0].pts, h264[0].au, 0);
  await d.whenExited();
  assert.equal(exit()?.error?.code, 'ENOENT');
  assert.equal(exit()?.requested, false);
});

test('an ffmpeg that dies is reported with its last error line', async () => {
  const { d, exit } = decoder('/usr/bin/ffmpeg');
  d.send(h264[0].pts, h264[0].au, 0);
  d.kill();
  await d.whenExited();
  assert.equal(exit()?.signal, 'SIGKILL');
  assert.equal(exit()?.requested, true);
});
