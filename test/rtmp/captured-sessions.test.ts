import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ServerHandshake } from '../../src/rtmp/handshake.js';
import { MessageType, type RawMessage } from '../../src/rtmp/message-types.js';
import { decodeCommand, decodeData } from '../../src/rtmp/messages/command.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/rtmp/${name}`, import.meta.url));

/** Feeds a captured client byte stream through handshake and chunk reader in the given split. */
function replay(bytes: Buffer, split: number): RawMessage[] {
  const hs = new ServerHandshake();
  const reader = new ChunkReader();
  const out: RawMessage[] = [];
  let done = false;
  for (let off = 0; off < bytes.length; off += split) {
    let piece = bytes.subarray(off, off + split);
    if (!done) {
      const step = hs.feed(piece);
      if (!step.done) continue;
      done = true;
      piece = step.rest;
    }
    out.push(...reader.push(piece));
  }
  return out;
}

const label = (m: RawMessage) =>
  m.type === MessageType.CommandAmf0 ? decodeCommand(m).name : m.type === MessageType.DataAmf0 ? String(decodeData(m)[0]) : `type${m.type}`;

const CLIENTS = [
  {
    client: 'ffmpeg 5.1',
    file: 'ffmpeg-session.bin',
    sequence: ['connect', 'type1', 'releaseStream', 'FCPublish', 'createStream', 'publish', '@setDataFrame', 'type9', 'type8', 'type8'],
    flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
    publishName: 'cam1',
    scheme: 'digest1',
    avc: 'avc1.42c00b', // libx264 ultrafast: Constrained Baseline, level 1.1
  },
  {
    client: 'GStreamer 1.22 rtmp2sink',
    file: 'gstreamer-session.bin',
    sequence: ['connect', 'type5', 'releaseStream', 'FCPublish', 'createStream', 'publish', 'type1', '@setDataFrame', 'type9', 'type8', 'type8'],
    flashVer: 'LNX 10,0,32,18',
    publishName: 'cam2',
    scheme: 'plain',
    avc: 'avc1.f4000d', // x264enc fed 4:4:4 by videotestsrc: High 4:4:4 Predictive, level 1.3
  },
];

for (const c of CLIENTS) {
  test(`${c.client}: captured session decodes to the expected commands, metadata and sequence headers`, () => {
    const bytes = fixture(c.file);
    const hs = new ServerHandshake();
    hs.feed(bytes.subarray(0, 1537));
    assert.equal(hs.scheme, c.scheme);
    for (const split of [bytes.length, 1, 7, 128, 1500]) {
      const msgs = replay(bytes, split);
      assert.deepEqual(msgs.map(label), c.sequence, `split ${split}`);
    }
    const msgs = replay(bytes, 4096);
    const connect = decodeCommand(msgs[0]);
    assert.equal((connect.object as Record<string, unknown>).app, 'live');
    assert.equal((connect.object as Record<string, unknown>).flashVer, c.flashVer);
    const publish = decodeCommand(msgs.find((m) => label(m) === 'publish')!);
    assert.equal(publish.args[0], c.publishName);
    const meta = decodeData(msgs.find((m) => label(m) === '@setDataFrame')!);
    assert.equal(meta[1], 'onMetaData');
    assert.equal((meta[2] as Record<string, unknown>).width, 320);

    const demux = new FlvDemuxer();
    const configs = msgs
      .filter((m) => m.type === MessageType.Audio || m.type === MessageType.Video)
      .flatMap((m) => demux.push(m.type === MessageType.Audio ? 'audio' : 'video', m.timestamp, m.body))
      .filter((o) => o.type === 'config');
    assert.deepEqual(
      configs.map((o) => (o.type === 'config' ? [o.config.codec, o.config.info.codecString] : null)),
      [
        ['h264', c.avc],
        ['aac', 'mp4a.40.2'],
      ],
    );
    assert.equal(demux.videoConfig!.info.width, 320);
    assert.equal(demux.videoConfig!.info.height, 240);
    assert.equal(demux.videoConfig!.info.fps, 10);
  });
}
