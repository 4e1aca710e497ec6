import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MediaFrame, StreamMetadata } from '../../src/media/frame.js';
import { encodeAmf0, EcmaArray } from '../../src/rtmp/amf0.js';
import { MessageType } from '../../src/rtmp/message-types.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({ cameras: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }] });
});
after(() => t.stop());

/** AAC LC 44.1 kHz stereo sequence header, then raw frames */
const aacConfig = Buffer.from([0xaf, 0x00, 0x12, 0x10]);
const aacFrame = (n: number) => Buffer.concat([Buffer.from([0xaf, 0x01]), Buffer.alloc(100 + n, n)]);

function collect(camId: string) {
  const frames: MediaFrame[] = [];
  const meta: StreamMetadata[] = [];
  t.app.hub.stream(camId)!.attach({ kind: 'other', onFrame: (f) => frames.push(f), onMetadata: (m) => meta.push(m) });
  return { frames, meta };
}

test('AMF3 command messages (type 17) connect and publish; metadata via @setDataFrame reaches the hub', async () => {
  const { meta } = collect('a');
  const c = await TestRtmpClient.connect(t.rtmpPort);
  c.amf3 = true;
  assert.equal(await c.publish('a'), 'NetStream.Publish.Start');
  c.send({ csid: 4, type: MessageType.DataAmf0, streamId: 1, timestamp: 0, body: encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ width: 1280, height: 720, framerate: 25, encoder: 'test' })) });
  await waitFor(() => meta.length > 0, 'metadata');
  assert.deepEqual({ ...meta[0] }, { width: 1280, height: 720, framerate: 25, encoder: 'test' });
  c.close();
});

test('aggregate messages are split into their sub-messages with rebased timestamps', async () => {
  const { frames } = collect('b');
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('b'), 'NetStream.Publish.Start');
  c.audio(0, aacConfig);
  // FLV-style tags: type, size, ts(3)+ext(1), stream id(3), data, back pointer; sub-times 1000, 1023, 1046
  const tag = (ts: number, data: Buffer) => {
    const h = Buffer.alloc(11);
    h[0] = 8;
    h.writeUIntBE(data.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + data.length);
    return Buffer.concat([h, data, back]);
  };
  const body = Buffer.concat([tag(1000, aacFrame(1)), tag(1023, aacFrame(2)), tag(1046, aacFrame(3))]);
  c.send({ csid: 4, type: MessageType.Aggregate, streamId: 1, timestamp: 5000, body });
  await waitFor(() => frames.length === 3, 'three audio frames');
  assert.deepEqual(frames.map((f) => f.dts), [5000, 5023, 5046]);
  assert.deepEqual(frames.map((f) => f.payload.length), [101, 102, 103]);
  c.close();
});

test('timestamps continue past 2^32 ms (49.7 days) without a jump', async () => {
  const { frames } = collect('c');
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('c'), 'NetStream.Publish.Start');
  const start = 2 ** 32 - 100;
  c.audio(start >>> 0, aacConfig);
  for (let i = 0; i < 10; i++) c.audio((start + i * 23) >>> 0, aacFrame(i));
  await waitFor(() => frames.length === 10, 'ten frames');
  const steps = frames.slice(1).map((f, i) => f.dts - frames[i].dts);
  assert.deepEqual(steps, Array(9).fill(23));
  assert.ok(frames[9].dts > 2 ** 32, `last dts ${frames[9].dts}`);
  c.close();
});

test('the server acknowledges received bytes per the window the client sets (encoders stall without acks)', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('d'), 'NetStream.Publish.Start');
  const win = Buffer.alloc(4);
  win.writeUInt32BE(10_000);
  c.send({ csid: 2, type: MessageType.WindowAckSize, streamId: 0, timestamp: 0, body: win });
  c.audio(0, aacConfig);
  for (let i = 0; i < 20; i++) {
    c.audio(i * 23, Buffer.concat([Buffer.from([0xaf, 0x01]), Buffer.alloc(2000, i)]));
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(() => c.controls.filter((m) => m.type === MessageType.Acknowledgement).length >= 2, 'acknowledgements');
  const acks = c.controls.filter((m) => m.type === MessageType.Acknowledgement).map((m) => m.body.readUInt32BE(0));
  assert.ok(acks.every((n, i) => i === 0 || n > acks[i - 1]), `acks increase: ${acks}`);
  // the sequence number counts everything received, handshake included
  assert.ok(acks[acks.length - 1] <= c.bytesSent + 3073);
  // the connect reply carried Window Ack Size, Set Peer Bandwidth and Set Chunk Size
  assert.deepEqual(c.controls.slice(0, 3).map((m) => m.type), [MessageType.WindowAckSize, MessageType.SetPeerBandwidth, MessageType.SetChunkSize]);
  c.close();
});
