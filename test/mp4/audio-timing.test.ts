/** Audio clocks and sample entries per codec: frame lengths, timescales, dOps and the mp4a layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodecConfig } from '../../src/media/frame.js';
import { aacFrameLength, audioTiming, mpegAudioFrameSamples, opusPacketSamples } from '../../src/mp4/audio-timing.js';
import { toBuffer } from '../../src/mp4/boxes.js';
import { dOps, sampleEntry } from '../../src/mp4/sample-entries.js';
import { mimeType, trackFor } from '../../src/mp4/track-config.js';

type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;
const audio = (codec: AudioConfig['codec'], record: number[], sampleRate: number, channels: number, codecString = codec as string): AudioConfig => ({
  track: 'audio', codec, record: Buffer.from(record), info: { codec, sampleRate, channels, objectType: null, codecString },
});

test('AAC: 1024 samples per frame, 960 with frameLengthFlag, 512 for AAC-LD; HE-AAC counts at the core rate', () => {
  assert.equal(aacFrameLength(Buffer.from([0x12, 0x10])), 1024); // LC 44.1 kHz stereo
  assert.equal(aacFrameLength(Buffer.from([0x12, 0x14])), 960); // same with frameLengthFlag
  assert.equal(aacFrameLength(Buffer.from([0xba, 0x88, 0x00])), 512); // ER AAC LD (23), 32 kHz mono
  // explicit HE-AAC: AOT 5, core 22050 Hz, stereo, extension 44100 Hz, core AOT 2
  const he = audio('aac', [0x2b, 0x92, 0x08, 0x00], 44100, 2, 'mp4a.40.5');
  const timing = audioTiming(he);
  assert.equal(timing.timescale, 22050);
  assert.equal(timing.samplesIn(Buffer.alloc(10)), 1024);
  assert.equal(trackFor(he).timescale, 22050);
});

test('MPEG audio and Opus frame durations from their headers; G.711 from the byte count', () => {
  assert.equal(mpegAudioFrameSamples(Buffer.from([0xff, 0xfb, 0x90, 0x64])), 1152); // MPEG-1 Layer III
  assert.equal(mpegAudioFrameSamples(Buffer.from([0xff, 0xf3, 0x90, 0x64])), 576); // MPEG-2 Layer III
  assert.equal(mpegAudioFrameSamples(Buffer.from([0xff, 0xfd, 0x90, 0x64])), 1152); // MPEG-1 Layer II
  assert.equal(mpegAudioFrameSamples(Buffer.from([0x00, 0x01])), null);
  assert.equal(opusPacketSamples(Buffer.from([0xfc])), 960); // CELT FB 20 ms, one frame
  assert.equal(opusPacketSamples(Buffer.from([0x11])), 1920 * 2); // SILK 40 ms, code 1: two frames
  assert.equal(opusPacketSamples(Buffer.from([0xf3, 0x03])), 3 * 120 * 4); // CELT 10 ms, code 3: three frames
  assert.equal(opusPacketSamples(Buffer.alloc(0)), null);
  const g711 = audioTiming(audio('pcmu', [], 8000, 2));
  assert.deepEqual([g711.timescale, g711.samplesIn(Buffer.alloc(320))], [8000, 160]);
});

test('AudioSampleEntry layout (14496-12 12.2.3.2): mp4a with esds; alaw without; Opus with dOps', () => {
  const mp4a = toBuffer(sampleEntry(audio('aac', [0x12, 0x10], 44100, 2), 44100));
  assert.deepEqual(mp4a.subarray(0, 36), Buffer.from(
    '0000004b6d703461' + '000000000000' + '0001' + '0000000000000000' + '0002' + '0010' + '00000000' + 'ac440000', 'hex'));
  assert.equal(mp4a.toString('latin1', 40, 44), 'esds');
  const alaw = toBuffer(sampleEntry(audio('pcma', [], 8000, 1), 8000));
  assert.deepEqual(alaw, Buffer.from('00000024616c6177' + '000000000000' + '0001' + '0000000000000000' + '0001' + '0010' + '00000000' + '1f400000', 'hex'));
  const mp3 = toBuffer(sampleEntry(audio('mp3', [], 22050, 1, 'mp4a.69'), 22050));
  assert.equal(mp3[36 + 8 + 4 + 2 + 3 + 2], 0x69, 'MPEG-2 audio objectTypeIndication');
});

test('dOps: OpusHead fields big-endian, mapping table only for family != 0; empty head = stereo default', () => {
  const head = Buffer.from('4f707573486561640102380180bb0000000000', 'hex'); // OpusHead v1, 2 ch, pre-skip 312, 48000 Hz
  assert.deepEqual(toBuffer(dOps(head)), Buffer.from('00000013644f7073' + '00' + '02' + '0138' + '0000bb80' + '0000' + '00', 'hex'));
  assert.deepEqual(toBuffer(dOps(Buffer.alloc(0))), Buffer.from('00000013644f7073000200000000bb80000000', 'hex'));
  const surround = Buffer.concat([head.subarray(0, 18), Buffer.from([1, 4, 2, 0, 4, 1, 2, 3, 5])]);
  surround[9] = 6;
  assert.deepEqual(toBuffer(dOps(surround)).subarray(19), Buffer.from([4, 2, 0, 4, 1, 2, 3, 5]));
  assert.throws(() => dOps(head.subarray(0, 10)), /MP4|OpusHead/);
});

test('mimeType for MediaSource.isTypeSupported', () => {
  const aac = audio('aac', [0x12, 0x10], 44100, 2, 'mp4a.40.2');
  assert.equal(mimeType([trackFor(aac)]), 'audio/mp4; codecs="mp4a.40.2"');
});
