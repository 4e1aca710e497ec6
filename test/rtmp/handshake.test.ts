import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ProtocolError } from '../../src/errors.js';
import { ServerHandshake, type HandshakeStep } from '../../src/rtmp/handshake.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { FMS_KEY, FP_KEY } from '../../src/rtmp/handshake-digest.js';

// Independent copies of the public keys and digest math, so the tests do not
// just check the code against itself.
const TAIL = Buffer.from('F0EEC24A8068BEE82E00D0D1029E7E576EEC5D2D29806FAB93B8E636CFEB31AE', 'hex');
const FP_PARTIAL = Buffer.from('Genuine Adobe Flash Player 001');
const FMS_PARTIAL = Buffer.from('Genuine Adobe Flash Media Server 001');
const FP_FULL = Buffer.concat([FP_PARTIAL, TAIL]);
const FMS_FULL = Buffer.concat([FMS_PARTIAL, TAIL]);

const hmac = (key: Buffer, ...parts: Buffer[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Digest position in a 1536-byte C1/S1 for schema 0 or 1. */
function offsetOf(p: Buffer, schema: 0 | 1): number {
  const at = schema === 0 ? 772 : 8;
  return ((p[at] + p[at + 1] + p[at + 2] + p[at + 3]) % 728) + at + 4;
}

function digestValid(p: Buffer, schema: 0 | 1, key: Buffer): boolean {
  const o = offsetOf(p, schema);
  return hmac(key, p.subarray(0, o), p.subarray(o + 32)).equals(p.subarray(o, o + 32));
}

function digestOf(p: Buffer, schema: 0 | 1): Buffer {
  const o = offsetOf(p, schema);
  return p.subarray(o, o + 32);
}

/** S2/C2 signed over the peer digest: last 32 bytes = HMAC(HMAC(fullKey, digest), first 1504). */
function responseValid(p: Buffer, peerDigest: Buffer, fullKey: Buffer): boolean {
  return hmac(hmac(fullKey, peerDigest), p.subarray(0, 1504)).equals(p.subarray(1504));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(n: number, next: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
  return b;
}

const seeded = (seed: number) => {
  const next = rng(seed);
  return (n: number) => bytes(n, next);
};

/** A digest C0+C1 built here, not by the code under test. */
function digestC0C1(schema: 0 | 1, seed: number): Buffer {
  const c1 = bytes(1536, rng(seed));
  c1.writeUInt32BE(777, 0);
  c1.set([0x80, 0x00, 0x07, 0x02], 4);
  const o = offsetOf(c1, schema);
  hmac(FP_PARTIAL, c1.subarray(0, o), c1.subarray(o + 32)).copy(c1, o);
  return Buffer.concat([Buffer.of(3), c1]);
}

type Split = (b: Buffer) => Buffer[];
const whole: Split = (b) => [b];
const byteByByte: Split = (b) => [...b].map((x) => Buffer.of(x));
const randomSplit =
  (seed: number): Split =>
  (b) => {
    const next = rng(seed);
    const out: Buffer[] = [];
    for (let i = 0; i < b.length; ) {
      const n = 1 + Math.floor(next() * (next() < 0.5 ? 8 : 2000));
      out.push(b.subarray(i, i + n));
      i += n;
    }
    return out;
  };

interface Feedable {
  feed(chunk: Buffer): HandshakeStep;
}

/** Feeds `data` in pieces; after done, the rest of the pieces belong to the chunk stream. */
function deliver(hs: Feedable, data: Buffer, split: Split): { sent: Buffer; done: boolean; rest: Buffer } {
  const sent: Buffer[] = [];
  const rest: Buffer[] = [];
  let done = false;
  for (const piece of split(data)) {
    if (done) {
      rest.push(piece);
      continue;
    }
    const r = hs.feed(piece);
    sent.push(...r.send);
    if (!r.done) assert.equal(r.rest.length, 0);
    done = r.done;
    rest.push(r.rest);
  }
  return { sent: Buffer.concat(sent), done, rest: Buffer.concat(rest) };
}

function handshake(digest: boolean, split: Split) {
  const client = new ClientHandshake({ digest });
  const server = new ServerHandshake();
  const fromServerTail = Buffer.from('server chunk stream bytes');
  const fromClientTail = Buffer.from('client chunk stream bytes \x02\x00');

  const a = deliver(server, client.start(), split);
  assert.equal(a.done, false);
  assert.equal(a.sent.length, 3073, 'S0+S1+S2 sent before C2 arrives');
  const b = deliver(client, Buffer.concat([a.sent, fromServerTail]), split);
  assert.equal(b.done, true);
  assert.equal(b.sent.length, 1536, 'C2');
  assert.deepEqual(b.rest, fromServerTail);
  const c = deliver(server, Buffer.concat([b.sent, fromClientTail]), split);
  assert.equal(c.done, true);
  assert.equal(c.sent.length, 0);
  assert.deepEqual(c.rest, fromClientTail);
  return { client, server };
}

test('key constants match the public 68/62-byte FMS/FP keys', () => {
  assert.equal(FMS_KEY.length, 68);
  assert.equal(FP_KEY.length, 62);
  assert.deepEqual(FMS_KEY, FMS_FULL);
  assert.deepEqual(FP_KEY, FP_FULL);
});

for (const [name, split] of [
  ['all at once', whole],
  ['one byte at a time', byteByByte],
  ['random splits (seed 1)', randomSplit(1)],
  ['random splits (seed 2)', randomSplit(2)],
  ['random splits (seed 3)', randomSplit(3)],
] as const) {
  test(`plain client <-> server, ${name}`, () => {
    const { client, server } = handshake(false, split);
    assert.equal(server.scheme, 'plain');
    assert.equal(client.serverDigestValid, undefined);
  });

  test(`digest client <-> server, ${name}`, () => {
    const { client, server } = handshake(true, split);
    assert.equal(server.scheme, 'digest1');
    assert.equal(client.serverDigestValid, true);
  });
}

test('server answers exactly when the 1537th byte arrives, not before', () => {
  const server = new ServerHandshake();
  const c0c1 = new ClientHandshake().start();
  assert.equal(server.scheme, undefined);
  assert.deepEqual(server.feed(c0c1.subarray(0, 1536)), { send: [], done: false, rest: Buffer.alloc(0) });
  const r = server.feed(c0c1.subarray(1536));
  assert.equal(r.send.length, 1);
  assert.equal(r.send[0].length, 3073);
  assert.equal(r.done, false);
});

test('plain S0/S1/S2 layout (spec 5.2.2-5.2.4)', () => {
  const random = seeded(9);
  const expectRandom = seeded(9)(1528);
  const server = new ServerHandshake({ now: () => 2 ** 32 + 0x01020304 + 0.7, random });
  const c1 = bytes(1536, rng(5));
  c1.writeUInt32BE(0xaabbccdd, 0);
  c1.writeUInt32BE(0, 4);
  const out = server.feed(Buffer.concat([Buffer.of(3), c1])).send[0];
  assert.equal(out[0], 3, 'S0');
  const s1 = out.subarray(1, 1537);
  const s2 = out.subarray(1537);
  assert.deepEqual([...s1.subarray(0, 4)], [1, 2, 3, 4], 'S1 time from the clock, wrapped to 32 bits');
  assert.deepEqual([...s1.subarray(4, 8)], [0, 0, 0, 0], 'S1 zero field');
  assert.deepEqual(s1.subarray(8), expectRandom, 'S1 random bytes');
  assert.deepEqual([...s2.subarray(0, 4)], [0xaa, 0xbb, 0xcc, 0xdd], 'S2 time = C1 time');
  assert.deepEqual([...s2.subarray(4, 8)], [1, 2, 3, 4], 'S2 time2 = when C1 was read');
  assert.deepEqual(s2.subarray(8), c1.subarray(8), 'S2 echoes C1 random bytes');
  assert.equal(server.scheme, 'plain');
});

for (const schema of [0, 1] as const) {
  test(`digest S1/S2 for a schema ${schema} client C1`, () => {
    const c0c1 = digestC0C1(schema, 40 + schema);
    const c1 = c0c1.subarray(1);
    assert.ok(digestValid(c1, schema, FP_PARTIAL));
    const server = new ServerHandshake({ now: () => 5000 });
    const out = server.feed(c0c1).send[0];
    assert.equal(server.scheme, schema === 0 ? 'digest0' : 'digest1');
    assert.equal(out[0], 3);
    const s1 = out.subarray(1, 1537);
    const s2 = out.subarray(1537);
    assert.equal(s1.readUInt32BE(0), 5000, 'S1 time');
    assert.notEqual(s1.readUInt32BE(4), 0, 'S1 server version is nonzero');
    assert.ok(digestValid(s1, schema, FMS_PARTIAL), 'S1 digest at the client schema, FMS partial key');
    assert.ok(!digestValid(s1, schema === 0 ? 1 : 0, FMS_PARTIAL), 'not at the other schema');
    assert.ok(responseValid(s2, digestOf(c1, schema), FMS_FULL), 'S2 signed over the client digest');
    assert.ok(!responseValid(s2, digestOf(s1, schema), FMS_FULL));
  });
}

test('nonzero C1 version without a valid digest falls back to plain', () => {
  const c0c1 = digestC0C1(1, 7);
  c0c1[100] ^= 0xff; // breaks the digest whichever byte it covers
  const server = new ServerHandshake({ now: () => 1 });
  const out = server.feed(c0c1).send[0];
  assert.equal(server.scheme, 'plain');
  assert.deepEqual([...out.subarray(5, 9)], [0, 0, 0, 0]);
  assert.deepEqual(out.subarray(1537 + 8), c0c1.subarray(1 + 8), 'S2 echoes C1');
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/handshake/${name}`, import.meta.url));

test('C0+C1 captured from ffmpeg (publish): digest schema 1, valid S2', () => {
  const c0c1 = fixture('ffmpeg-c0c1.bin');
  assert.equal(c0c1.length, 1537);
  const c1 = c0c1.subarray(1);
  assert.deepEqual([...c1.subarray(4, 8)], [0x09, 0x00, 0x7c, 0x02], 'Flash Player 9.0.124.2 version');
  const server = new ServerHandshake();
  const out = server.feed(c0c1).send[0];
  assert.equal(server.scheme, 'digest1');
  assert.ok(digestValid(out.subarray(1, 1537), 1, FMS_PARTIAL));
  assert.ok(responseValid(out.subarray(1537), digestOf(c1, 1), FMS_FULL));
});

test("ffmpeg (play) accepted our S1 and signed C2 over its digest", () => {
  // Same clock and random source the capture server used (see the fixture README).
  let seed = 1;
  const random = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    return b;
  };
  const capture = fixture('ffmpeg-play-c0c1c2.bin');
  const server = new ServerHandshake({ now: () => 1234, random });
  const r1 = server.feed(capture.subarray(0, 1537));
  const s1 = r1.send[0].subarray(1, 1537);
  assert.equal(server.scheme, 'digest1');
  const c2 = capture.subarray(1537);
  assert.ok(responseValid(c2, digestOf(s1, 1), FP_FULL), 'C2 = HMAC(HMAC(FP key, S1 digest), C2[0..1504])');
  assert.deepEqual(server.feed(c2), { send: [], done: true, rest: Buffer.alloc(0) });
});

test('C0+C1 captured from GStreamer rtmp2sink: plain handshake', () => {
  const c0c1 = fixture('gstreamer-c0c1.bin');
  assert.equal(c0c1.length, 1537);
  assert.deepEqual([...c0c1.subarray(5, 9)], [0, 0, 0, 0], 'zero version field');
  const server = new ServerHandshake();
  const out = server.feed(c0c1).send[0];
  assert.equal(server.scheme, 'plain');
  assert.deepEqual(out.subarray(1537 + 8), c0c1.subarray(9), 'S2 echoes C1');
});

function assertVersionError(fn: () => unknown, text: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, 'HANDSHAKE_VERSION');
    assert.match(err.message, text);
    return true;
  });
}

test('C0 = 6 (RTMPE) and C0 = 0xff are rejected on the first byte', () => {
  assertVersionError(() => new ServerHandshake().feed(Buffer.of(6)), /\b6\b.*RTMPE/);
  assertVersionError(() => new ServerHandshake().feed(Buffer.of(0xff, 1, 2)), /0xff/);
  assertVersionError(() => new ServerHandshake().feed(Buffer.from('GET / HTTP/1.1\r\n')), /HTTP/);
});

test('C0 then garbage is a plain handshake; C2 garbage is consumed', () => {
  const server = new ServerHandshake();
  const garbage = Buffer.alloc(3072, 0xee);
  const r = server.feed(Buffer.concat([Buffer.of(3), garbage, Buffer.of(9)]));
  assert.equal(server.scheme, 'plain');
  assert.equal(r.done, true);
  assert.deepEqual(r.rest, Buffer.of(9));
});

test('feeding after done or after a failure is a programming error', () => {
  const server = new ServerHandshake();
  server.feed(Buffer.concat([Buffer.of(3), Buffer.alloc(3072)]));
  assert.throws(() => server.feed(Buffer.of(1)), (e: unknown) => e instanceof Error && !(e instanceof ProtocolError));
  const failed = new ServerHandshake();
  assert.throws(() => failed.feed(Buffer.of(6)), ProtocolError);
  assert.throws(() => failed.feed(Buffer.of(3)), (e: unknown) => e instanceof Error && !(e instanceof ProtocolError));
  const client = new ClientHandshake();
  assert.throws(() => client.feed(Buffer.of(3)), /before start/);
});

test('digest client: plain server, tampered S2, bad S0', () => {
  // Plain server (zero S1 version): C2 echoes S1, nothing to validate.
  const plain = new ClientHandshake({ digest: true, now: () => 42 });
  const c1 = plain.start().subarray(1);
  assert.ok(digestValid(c1, 1, FP_PARTIAL), 'client C1 digest at schema 1, FP partial key');
  const s1 = bytes(1536, rng(3));
  s1.writeUInt32BE(0, 4);
  const r = plain.feed(Buffer.concat([Buffer.of(3), s1, c1]));
  assert.equal(r.done, true);
  assert.deepEqual(r.send[0].subarray(8), s1.subarray(8));
  assert.equal(r.send[0].readUInt32BE(4), 42, 'C2 time2');
  assert.equal(plain.serverDigestValid, undefined);

  // Digest server whose S2 is corrupted in transit.
  const client = new ClientHandshake({ digest: true });
  const server = new ServerHandshake();
  const out = server.feed(client.start()).send[0];
  out[3072] ^= 1;
  const c2 = client.feed(out).send[0];
  assert.equal(client.serverDigestValid, false);
  assert.ok(responseValid(c2, digestOf(out.subarray(1, 1537), 1), FP_FULL), 'C2 signed with FP full key');

  assertVersionError(() => {
    const c = new ClientHandshake();
    c.start();
    c.feed(Buffer.of(6));
  }, /RTMPE/);
});
