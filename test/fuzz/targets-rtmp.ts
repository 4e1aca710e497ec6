/**
 * RTMP targets: handshake (both sides), chunk reader (split-invariance and a
 * writer round trip), control / user control / aggregate / command messages,
 * and a whole connection (handshake, chunks, control, commands, ingest into
 * a hub) driven over Buffers with a stand-in socket.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import type { Logger } from 'pino';
import { StreamHub } from '../../src/hub/stream-hub.js';
import { Ingest } from '../../src/ingest/ingest.js';
import { LivePlayGate } from '../../src/live/rtmp-play.js';
import { ChunkReader, DEFAULT_CHUNK_READER_LIMITS } from '../../src/rtmp/chunk-reader.js';
import { ChunkWriter, type OutgoingMessage } from '../../src/rtmp/chunk-writer.js';
import { RtmpConnection } from '../../src/rtmp/connection.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { ServerHandshake } from '../../src/rtmp/handshake.js';
import { MessageType, type RawMessage } from '../../src/rtmp/message-types.js';
import { splitAggregate } from '../../src/rtmp/messages/aggregate.js';
import { decodeCommand, decodeData } from '../../src/rtmp/messages/command.js';
import { encodeAmf0 } from '../../src/rtmp/amf0.js';
import { readU32Body, setChunkSize } from '../../src/rtmp/messages/control.js';
import { readUserControl } from '../../src/rtmp/messages/user-control.js';
import { RtmpSession } from '../../src/rtmp/session.js';
import { corpus, HANDSHAKE_BYTES } from './corpus.js';
import { amf0Values } from './targets-amf.js';
import { bytesFrom, cut, pieceSize } from './mutate.js';
import { bounded, byteTarget, check, same, unmodified, valueTarget, type FuzzTarget, type Outcome } from './target.js';

const PACKET = 1536;

function handshakeRun(make: () => { feed(b: Buffer): { send: Buffer[]; done: boolean; rest: Buffer } }, input: Buffer, offset: number) {
  const feedAll = (pieces: Buffer[]): Outcome<{ sent: number; done: boolean; rest: number }> =>
    bounded(() => {
      const hs = make();
      let sent = 0;
      let done = false;
      let rest = 0;
      for (const p of pieces) {
        if (done) {
          rest += p.length; // after the handshake the connection hands bytes to the chunk reader
          continue;
        }
        const step = hs.feed(p);
        for (const b of step.send) sent += b.length;
        done = step.done;
        rest += step.rest.length;
      }
      return { sent, done, rest };
    });
  const whole = unmodified(input, () => feedAll([input]));
  const split = feedAll(cut(input, pieceSize(input)));
  same(split, whole, 'handshake outcome depends on how the bytes are split');
  if (whole.ok) {
    // offset: bytes the peer sends before the packet we answer (C0 / S0)
    const full = input.length >= offset + 2 * PACKET;
    check(whole.value.done === full, `done=${whole.value.done} after ${input.length} bytes`);
    check(whole.value.rest === Math.max(0, input.length - (offset + 2 * PACKET)), 'rest has the wrong length');
  }
  return whole;
}

const handshakeServer = byteTarget({
  name: 'handshake-server',
  what: 'ServerHandshake.feed: C0+C1+C2 from ffmpeg/GStreamer, mutated',
  arbitrary: () => bytesFrom(corpus().clientHandshakes, { maxRandom: 3200 }),
  run(input) {
    const r = handshakeRun(() => new ServerHandshake({ now: () => 1 }), input, 1);
    if (r.ok && input.length >= 1 + PACKET) check(r.value.sent === 1 + 2 * PACKET, `S0+S1+S2 is ${r.value.sent} bytes`);
  },
});

const handshakeClient = byteTarget({
  name: 'handshake-client',
  what: 'ClientHandshake.feed (plain and digest): S0+S1+S2 from our server, mutated',
  arbitrary: () => bytesFrom(corpus().serverHandshakes, { maxRandom: 3200 }),
  run(input) {
    const digest = input.length % 2 === 0;
    const r = handshakeRun(() => {
      const c = new ClientHandshake({ digest, now: () => 1 });
      c.start();
      return c;
    }, input, 1);
    if (r.ok && input.length >= 1 + PACKET) check(r.value.sent === PACKET, `C2 is ${r.value.sent} bytes`);
  },
});

type Msg = Pick<RawMessage, 'csid' | 'type' | 'streamId' | 'timestamp'> & { body: Buffer };

function readChunks(pieces: Buffer[]): Outcome<Msg[]> {
  return bounded(() => {
    const reader = new ChunkReader();
    const out: Msg[] = [];
    for (const p of pieces) for (const m of reader.push(p)) out.push({ ...m, body: Buffer.from(m.body) });
    return out;
  });
}

/**
 * As a connection reads: each piece a fresh Buffer the reader owns, and the
 * reader asked to join chunks inside it (compactInPlace, where the reader has
 * it). Bodies are copied only at the end, so a later read that moved bytes
 * under an earlier message's body would show.
 */
function readChunksOwned(pieces: Buffer[]): Outcome<Msg[]> {
  return bounded(() => {
    const Reader = ChunkReader as unknown as new (limits: object, opts: { compactInPlace: boolean }) => ChunkReader;
    const reader = new Reader({}, { compactInPlace: true });
    const out: Msg[] = [];
    for (const p of pieces) for (const m of reader.push(Buffer.from(p))) out.push(m);
    return out.map((m) => ({ csid: m.csid, type: m.type, streamId: m.streamId, timestamp: m.timestamp, body: Buffer.from(m.body) }));
  });
}

const chunkReader = byteTarget({
  name: 'chunk-reader',
  what: 'ChunkReader.push: captured ffmpeg/GStreamer chunk streams, mutated; whole vs split',
  weight: 2,
  arbitrary: () => bytesFrom(corpus().chunkStreams, { maxRandom: 2048 }),
  run(input) {
    const whole = unmodified(input, () => readChunks([input]));
    const split = readChunks(cut(input, pieceSize(input)));
    same(split.ok ? split.value.length : split.code, whole.ok ? whole.value.length : whole.code, 'messages or error differ between whole and split input');
    if (whole.ok && split.ok) same(split.value, whole.value, 'messages differ between whole and split input');
    for (const pieces of [[input], cut(input, pieceSize(input))]) {
      const owned = readChunksOwned(pieces);
      same(owned.ok ? owned.value.length : owned.code, whole.ok ? whole.value.length : whole.code, 'messages or error differ when the reader owns its input');
      if (whole.ok && owned.ok) same(owned.value, whole.value, 'messages differ when the reader owns (and compacts) its input');
    }
    if (whole.ok) {
      let bytes = 0;
      for (const m of whole.value) bytes += m.body.length;
      check(bytes <= input.length, `${bytes} body bytes out of ${input.length} input bytes`);
      check(whole.value.length <= input.length, 'more messages than input bytes');
    }
  },
});

interface ChunkCase {
  chunkSize: number;
  piece: number;
  messages: { csid: number; type: number; streamId: number; timestamp: number; body: Uint8Array }[];
}

const chunkRoundTrip = valueTarget<ChunkCase>({
  name: 'chunk-roundtrip',
  what: 'ChunkWriter -> ChunkReader: random sizes, chunk sizes, csids (1/2/3-byte), extended timestamps',
  arbitrary: () =>
    fc.record({
      chunkSize: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70_000 })),
      piece: fc.integer({ min: 1, max: 5000 }),
      messages: fc.array(
        fc.record({
          csid: fc.oneof(fc.integer({ min: 3, max: 63 }), fc.integer({ min: 64, max: 319 }), fc.integer({ min: 320, max: 65599 })),
          // not Set Chunk Size / Abort: the reader applies those itself
          type: fc.integer({ min: 3, max: 255 }),
          streamId: fc.oneof(fc.nat(8), fc.nat(0xffffffff)),
          timestamp: fc.oneof(fc.nat(0xfffffe), fc.integer({ min: 0xfffffe, max: 0xffffffff }), fc.constant(0xffffff)),
          body: fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 600 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20_000 }) }),
        }),
        { maxLength: 12 },
      ),
    }),
  run(c) {
    const writer = new ChunkWriter();
    const wire: Buffer[] = [...writer.write(setChunkSize(c.chunkSize))];
    writer.chunkSize = c.chunkSize;
    const sent: OutgoingMessage[] = c.messages.map((m) => ({ ...m, body: Buffer.from(m.body) }));
    // No spread: a chunk size of 1 turns one body into more chunks than call arguments may number.
    for (const m of sent) for (const chunk of writer.write(m)) wire.push(chunk);
    const bytes = Buffer.concat(wire);
    const r = (c.piece % 2 === 0 ? readChunks : readChunksOwned)(cut(bytes, c.piece));
    if (!r.ok) throw new Error(`the reader refused what the writer wrote: ${r.code}`);
    same(r.value.slice(1).map((m) => ({ ...m, body: m.body.toString('hex') })),
      sent.map((m) => ({ csid: m.csid, type: m.type, streamId: m.streamId, timestamp: m.timestamp >>> 0, body: m.body.toString('hex') })),
      'messages read back differ from those written');
  },
});

interface InterleavedCase {
  chunkSize: number;
  /** prefer a type-0 header even where a smaller one would do */
  full: boolean[];
  schedule: number[];
  piece: number;
  messages: { csid: number; type: number; streamId: number; step: number; length: number }[];
}

/** Our own compressing chunk encoder (spec 5.3.1.2): types 0-3, deltas, extended fields repeated on type 3. */
function compressChunks(c: InterleavedCase): { wire: Buffer; expected: Msg[] } {
  const state = new Map<number, { streamId: number; length: number; type: number; ts: number; delta: number; extended: boolean }>();
  const queues = new Map<number, { chunk: Buffer; last: Msg | null }[]>();
  let clock = 0;
  c.messages.forEach((m, i) => {
    clock = (clock + m.step) >>> 0;
    const body = Buffer.alloc(m.length, i & 0xff);
    const s = state.get(m.csid);
    let fmt: number;
    let field: number;
    if (!s || s.streamId !== m.streamId || c.full[i]) {
      fmt = 0;
      field = clock;
    } else {
      field = (clock - s.ts) >>> 0;
      fmt = s.length !== m.length || s.type !== m.type ? 1 : field === s.delta ? 3 : 2;
    }
    const extended = fmt === 3 ? s!.extended : field >= 0xffffff;
    const header = (f: number) => {
      const basic = m.csid < 64 ? Buffer.from([(f << 6) | m.csid]) : m.csid < 320 ? Buffer.from([f << 6, m.csid - 64]) : Buffer.from([(f << 6) | 1, (m.csid - 64) & 0xff, (m.csid - 64) >> 8]);
      const mh = Buffer.alloc([11, 7, 3, 0][f]);
      if (f < 3) mh.writeUIntBE(extended ? 0xffffff : field, 0, 3);
      if (f < 2) {
        mh.writeUIntBE(m.length, 3, 3);
        mh[6] = m.type;
      }
      if (f === 0) mh.writeUInt32LE(m.streamId, 7);
      const ext = Buffer.alloc(extended ? 4 : 0);
      if (extended) ext.writeUInt32BE(fmt === 3 ? s!.delta : field);
      return Buffer.concat([basic, mh, ext]);
    };
    const next = { streamId: m.streamId, length: m.length, type: m.type, ts: clock, delta: fmt === 3 ? s!.delta : field, extended };
    state.set(m.csid, next);
    const msg: Msg = { csid: m.csid, type: m.type, streamId: m.streamId, timestamp: clock, body };
    const q = queues.get(m.csid) ?? [];
    queues.set(m.csid, q);
    for (let off = 0; off < Math.max(1, m.length); off += c.chunkSize) {
      const end = Math.min(m.length, off + c.chunkSize);
      q.push({ chunk: Buffer.concat([header(off === 0 ? fmt : 3), body.subarray(off, end)]), last: end === m.length ? msg : null });
    }
  });
  const wire: Buffer[] = [];
  const expected: Msg[] = [];
  for (let i = 0; queues.size > 0; i++) {
    const ids = [...queues.keys()];
    const id = ids[(c.schedule[i % Math.max(1, c.schedule.length)] ?? 0) % ids.length];
    const q = queues.get(id)!;
    const { chunk, last } = q.shift()!;
    wire.push(chunk);
    if (last) expected.push(last);
    if (q.length === 0) queues.delete(id);
  }
  return { wire: Buffer.concat(wire), expected };
}

const chunkInterleaved = valueTarget<InterleavedCase>({
  name: 'chunk-interleaved',
  what: 'a compressing chunk encoder (types 0-3, deltas, extended) with chunk streams interleaved -> ChunkReader',
  arbitrary: () =>
    fc.record({
      chunkSize: fc.integer({ min: 1, max: 512 }),
      full: fc.array(fc.boolean(), { maxLength: 24 }),
      schedule: fc.array(fc.nat(), { maxLength: 64 }),
      piece: fc.integer({ min: 1, max: 3000 }),
      messages: fc.array(
        fc.record({
          csid: fc.constantFrom(3, 4, 5, 6, 63, 64, 319, 320, 65599),
          type: fc.constantFrom(8, 9, 18, 20),
          streamId: fc.constantFrom(0, 1, 1, 1, 0x01020304),
          step: fc.oneof(fc.constant(0), fc.nat(100), fc.integer({ min: 0xfffff0, max: 0x1000010 }), fc.nat(0xffffffff)),
          length: fc.oneof(fc.nat(300), fc.constantFrom(0, 1, 128, 129)),
        }),
        { minLength: 1, maxLength: 24 },
      ),
    }),
  run(c) {
    const { wire, expected } = compressChunks(c);
    const writer = new ChunkWriter();
    const bytes = Buffer.concat([...writer.write(setChunkSize(c.chunkSize)), wire]);
    const r = (c.piece % 2 === 0 ? readChunks : readChunksOwned)(cut(bytes, c.piece));
    if (!r.ok) throw new Error(`the reader refused a valid chunk stream: ${r.code}`);
    same(r.value.slice(1).map((m) => [m.csid, m.type, m.streamId, m.timestamp, m.body.length, m.body[0]]),
      expected.map((m) => [m.csid, m.type, m.streamId, m.timestamp, m.body.length, m.body[0]]), 'messages read back differ');
  },
});

function aggregateOf(messages: RawMessage[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages.filter((x) => x.type === MessageType.Audio || x.type === MessageType.Video).slice(0, 4)) {
    const h = Buffer.alloc(11);
    h[0] = m.type;
    h.writeUIntBE(m.body.length, 1, 3);
    h.writeUIntBE(m.timestamp & 0xffffff, 4, 3);
    h[7] = m.timestamp >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + m.body.length);
    parts.push(h, m.body, back);
  }
  return Buffer.concat(parts);
}

const rtmpMessages = byteTarget({
  name: 'rtmp-messages',
  what: 'control, user control, aggregate, AMF0/AMF3 command and data message bodies',
  arbitrary: () => bytesFrom([...corpus().messages.map((m) => m.body), aggregateOf(corpus().messages)], { maxRandom: 256 }),
  run(body) {
    unmodified(body, () => {
      bounded(() => readU32Body(body, 'fuzz'));
      const uc = bounded(() => readUserControl(body));
      if (uc.ok) check(uc.value.value >= 0 && uc.value.value <= 0xffffffff, 'user control value out of range');
      const agg = bounded(() => splitAggregate({ csid: 4, type: MessageType.Aggregate, streamId: 1, timestamp: 0xfffffff0, body }));
      if (agg.ok) {
        for (const p of agg.value) {
          check(p.body.buffer === body.buffer && p.body.byteOffset >= body.byteOffset && p.body.byteOffset + p.body.length <= body.byteOffset + body.length, 'aggregate part outside the body');
          check(Number.isInteger(p.timestamp) && p.timestamp >= 0 && p.timestamp <= 0xffffffff, `sub-message timestamp ${p.timestamp}`);
        }
      }
      for (const type of [MessageType.CommandAmf0, MessageType.CommandAmf3]) {
        const cmd = bounded(() => decodeCommand({ csid: 3, type, streamId: 0, timestamp: 0, body }));
        if (cmd.ok) check(typeof cmd.value.name === 'string' && typeof cmd.value.transactionId === 'number', 'command shape');
      }
      for (const type of [MessageType.DataAmf0, MessageType.DataAmf3]) bounded(() => decodeData({ csid: 3, type, streamId: 1, timestamp: 0, body }));
    });
  },
});

/** A Socket stand-in: records what is written, never emits on its own. */
class FakeSocket extends EventEmitter {
  remoteAddress = '192.0.2.1';
  remotePort = 50000;
  written = 0;
  destroyed = false;
  writableLength = 0;
  write(b: Buffer): boolean {
    this.written += b.length;
    return true;
  }
  cork(): void {}
  uncork(): void {}
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  end(): this {
    this.destroyed = true;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

/** Logger stand-in: an error-level line means an exception that was not a bounded NvrError. */
function recordingLogger(errors: unknown[]): Logger {
  const noop = () => {};
  const log: Record<string, unknown> = { debug: noop, info: noop, warn: noop, trace: noop, fatal: noop };
  log.error = (...args: unknown[]) => errors.push(args);
  log.child = () => log;
  return log as unknown as Logger;
}

/** Feeds a client byte stream (handshake first) to a connection + session + ingest + hub; checks it ends bounded. */
function driveConnection(input: Buffer): void {
  const errors: unknown[] = [];
  const log = recordingLogger(errors);
  const hub = new StreamHub({ cameras: [{ id: 'cam1', name: 'cam1' }, { id: 'cam2', name: 'cam2' }], staleTakeoverMs: 10_000, log });
  const ingest = new Ingest({ cameras: [{ id: 'cam1' }, { id: 'cam2', streamKey: 'k' }], hub, log });
  const socket = new FakeSocket();
  const limits = { handshakeTimeoutMs: 10_000, idleTimeoutMs: 10_000, chunk: DEFAULT_CHUNK_READER_LIMITS };
  let closedWith: string | null = null;
  const conn = new RtmpConnection(socket as unknown as Socket, limits, log, (c) => {
    const session = new RtmpSession(c, ingest, new LivePlayGate(hub, log));
    return {
      handle: (m) => session.handle(m),
      onClose: (reason) => {
        closedWith = reason;
        session.onClose(reason);
      },
    };
  });
  for (const p of cut(input, pieceSize(input))) {
    if (socket.destroyed) break; // a destroyed socket delivers nothing more
    // each read is a fresh Buffer the connection owns (it may compact chunks inside it)
    socket.emit('data', Buffer.from(p));
  }
  conn.close('fuzz case over'); // clears the handshake timer
  socket.emit('close');
  const first = errors[0] as [{ err?: unknown }, string] | undefined;
  check(errors.length === 0, `the connection logged an internal error: ${first?.[1]} ${String(first?.[0]?.err)}`);
  check(closedWith !== 'internal error', 'closed with an internal error');
  check(socket.written <= HANDSHAKE_BYTES + 16 * input.length + 4096, `wrote ${socket.written} bytes for ${input.length} in`);
  for (const id of ['cam1', 'cam2']) check(hub.stream(id)!.publisher === null, `the publisher still holds ${id} after its connection closed`);
}

const rtmpConnection = byteTarget({
  name: 'rtmp-connection',
  what: 'RtmpConnection + RtmpSession + Ingest into a hub (+ RTMP play gate), fed a captured session (mutated) in pieces',
  weight: 2,
  arbitrary: () => bytesFrom(corpus().sessions, { maxRandom: 4096 }),
  run: driveConnection,
});

type Step =
  | { kind: 'command'; amf3: boolean; name: string; tx: number; object: unknown; args: unknown[]; streamId: number }
  | { kind: 'data'; amf3: boolean; values: unknown[]; streamId: number }
  | { kind: 'media'; video: boolean; body: number; timestamp: number; streamId: number }
  | { kind: 'control'; type: number; value: number };

const COMMANDS = ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish', 'FCUnpublish', 'deleteStream', 'closeStream', 'play', 'getStreamLength', '_checkbw'];

/** A plausible dialogue: commands with fuzzed arguments, metadata, media and control messages. */
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant('command' as const),
    amf3: fc.boolean(),
    name: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
    tx: fc.oneof(fc.nat(10), fc.double()),
    object: fc.oneof(fc.constant(null), amf0Values, fc.record({ app: fc.constantFrom('live', 'other', ''), tcUrl: fc.constantFrom('rtmp://h/live', 'rtmp://h/live?key=k'), flashVer: fc.string(), objectEncoding: fc.constantFrom(0, 3), fourCcList: fc.array(amf0Values, { maxLength: 3 }) })),
    args: fc.array(fc.oneof(fc.constantFrom('cam1', 'cam2?key=k', 'cam2?key=x', 'nope', false), amf0Values), { maxLength: 3 }),
    streamId: fc.nat(3),
  }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('data' as const), amf3: fc.boolean(), values: fc.array(fc.oneof(fc.constantFrom('@setDataFrame', 'onMetaData'), amf0Values), { maxLength: 4 }), streamId: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('media' as const), video: fc.boolean(), body: fc.nat(), timestamp: fc.nat(0xffffffff), streamId: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('control' as const), type: fc.constantFrom(1, 3, 4, 5, 6), value: fc.oneof(fc.nat(0xffff), fc.nat(0xffffffff)) }) },
);

function stepMessage(s: Step): OutgoingMessage {
  switch (s.kind) {
    case 'command': {
      const body = encodeAmf0(s.name, s.tx, s.object, ...s.args);
      return { csid: 3, type: s.amf3 ? MessageType.CommandAmf3 : MessageType.CommandAmf0, streamId: s.streamId, timestamp: 0, body: s.amf3 ? Buffer.concat([Buffer.from([0]), body]) : body };
    }
    case 'data': {
      const body = encodeAmf0(...s.values);
      return { csid: 4, type: s.amf3 ? MessageType.DataAmf3 : MessageType.DataAmf0, streamId: s.streamId, timestamp: 0, body: s.amf3 ? Buffer.concat([Buffer.from([0]), body]) : body };
    }
    case 'media': {
      const bodies = s.video ? corpus().videoBodies : corpus().audioBodies;
      return { csid: s.video ? 6 : 5, type: s.video ? MessageType.Video : MessageType.Audio, streamId: s.streamId, timestamp: s.timestamp, body: bodies[s.body % bodies.length] };
    }
    case 'control': {
      const body = Buffer.alloc(s.type === 4 ? 6 : s.type === 6 ? 5 : 4);
      if (s.type === 4) body.writeUInt32BE(s.value, 2);
      else body.writeUInt32BE(s.type === 1 ? Math.max(1, s.value & 0xffff) : s.value, 0);
      return { csid: 2, type: s.type, streamId: 0, timestamp: 0, body };
    }
  }
}

const rtmpSession = valueTarget<Step[]>({
  name: 'rtmp-session',
  what: 'command dialogue with fuzzed AMF arguments, metadata, media and control messages over a real handshake and chunking',
  weight: 2,
  arbitrary: () => fc.array(stepArb, { minLength: 1, maxLength: 16 }),
  run(steps) {
    const writer = new ChunkWriter();
    const wire: Buffer[] = [new ClientHandshake({ now: () => 0, random: (n) => Buffer.alloc(n, 7) }).start(), Buffer.alloc(PACKET)];
    for (const s of steps) {
      for (const chunk of writer.write(stepMessage(s))) wire.push(chunk); // no spread: see chunkRoundTrip
      if (s.kind === 'control' && s.type === 1) writer.chunkSize = Math.max(1, s.value & 0xffff);
    }
    driveConnection(Buffer.concat(wire));
  },
});

export const rtmpTargets: FuzzTarget<never>[] = [handshakeServer, handshakeClient, chunkReader, chunkRoundTrip, chunkInterleaved, rtmpMessages, rtmpConnection, rtmpSession] as FuzzTarget<never>[];
