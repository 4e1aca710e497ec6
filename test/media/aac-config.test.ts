import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { fixture, probeStreams } from './ffprobe.js';
import { flvTags } from './flv-file.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;
const asc = (hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex');

test('AAC-LC 44.1 kHz stereo: 12 10 = 00010 0100 0010 0', () => {
  const c = parseAacConfig(asc('12 10'));
  assert.deepEqual(
    [c.objectType, c.sampleRate, c.channelConfiguration, c.channels, c.codecString],
    [2, 44100, 2, 2, 'mp4a.40.2'],
  );
});

test('AAC-LC 48 kHz mono (11 88) and 8 kHz mono (15 88)', () => {
  assert.deepEqual([parseAacConfig(asc('11 88')).sampleRate, parseAacConfig(asc('11 88')).channels], [48000, 1]);
  assert.deepEqual([parseAacConfig(asc('15 88')).sampleRate, parseAacConfig(asc('15 88')).channels], [8000, 1]);
});

test('HE-AAC explicit SBR: 2B 11 88 = AOT 5, core 24 kHz, ext 48 kHz, core AOT 2', () => {
  // 00101 0110 0010 0011 00010 000
  const c = parseAacConfig(asc('2B 11 88'));
  assert.equal(c.objectType, 5);
  assert.equal(c.coreObjectType, 2);
  assert.equal(c.samplingFrequency, 24000);
  assert.equal(c.sampleRate, 48000);
  assert.equal(c.channels, 2);
  assert.equal(c.codecString, 'mp4a.40.5');
});

test('HE-AACv2 (PS) on a mono core reports stereo output', () => {
  // 11101 0110 0001 0011 00010 -> AOT 29, 24 kHz, mono, ext 48 kHz, core 2
  const c = parseAacConfig(asc('EB 09 88'));
  assert.deepEqual([c.objectType, c.sampleRate, c.channels, c.codecString], [29, 48000, 2, 'mp4a.40.29']);
});

test('escaped object type 31: F9 48 40 = 11111 001010 0100 0010 -> AOT 42', () => {
  const c = parseAacConfig(asc('F9 48 40'));
  assert.deepEqual([c.objectType, c.sampleRate, c.channels, c.codecString], [42, 44100, 2, 'mp4a.40.42']);
});

test('explicit 24-bit sampling frequency (index 15)', () => {
  // 00010 1111 000000000011000000111001 0001 000 -> 12345 Hz mono
  const c = parseAacConfig(asc('17 80 18 1C 88'));
  assert.deepEqual([c.sampleRate, c.channels], [12345, 1]);
});

test('damaged AudioSpecificConfig is a ProtocolError', () => {
  assert.throws(() => parseAacConfig(asc('12')), isCode('AAC_CONFIG_INVALID'));
  assert.throws(() => parseAacConfig(asc('16 90')), isCode('AAC_CONFIG_INVALID')); // index 13 reserved
  assert.throws(() => parseAacConfig(asc('00 10')), isCode('AAC_CONFIG_INVALID')); // AOT 0
  assert.throws(() => parseAacConfig(asc('12 48')), isCode('AAC_CONFIG_INVALID')); // channel config 9 reserved
  assert.throws(() => parseAacConfig(asc('17 80')), isCode('BITSTREAM_TRUNCATED')); // explicit rate cut
  assert.throws(() => parseAacConfig(asc('2B 11')), isCode('BITSTREAM_TRUNCATED')); // SBR core AOT cut
});

for (const name of ['h264-aac-bframes.flv', 'aac-48k-mono.flv', 'aac-ltp-8k-mono.flv']) {
  test(`ffmpeg AAC sequence header matches ffprobe: ${name}`, () => {
    const tag = [...flvTags(fixture(name))].find((t) => t.type === 8 && t.body[1] === 0)!;
    const c = parseAacConfig(tag.body.subarray(2));
    const s = probeStreams(name).find((x) => x.codec_type === 'audio')!;
    assert.equal(c.sampleRate, Number(s.sample_rate));
    assert.equal(c.channels, s.channels);
    assert.equal(c.objectType, { LC: 2, LTP: 4, Main: 1 }[s.profile!]);
  });
}
