/**
 * Publish allow-lists over real TCP: rtmp.allowPublishFrom for everyone and
 * cameras[].publishFrom per camera, from 127.0.0.1 and (when the machine has
 * IPv6 loopback) ::1, with the listener dual-stack so IPv4 peers arrive as
 * IPv4-mapped IPv6 addresses.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.family === 'IPv6' && a.address === '::1'));

async function publish(t: TestApp, camera: string, host = '127.0.0.1'): Promise<{ code: string; closed: boolean }> {
  const c = await TestRtmpClient.connect(t.rtmpPort, { host });
  const code = await c.publish(camera);
  if (code !== 'NetStream.Publish.Start') await c.waitClosed();
  const closed = c.closed;
  c.close();
  return { code, closed };
}

const refusals = (t: TestApp, camera: string) => t.logs.filter((l) => l.code === 'ADDRESS_NOT_ALLOWED' && l.camera === camera);

describe('allowed addresses', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      rtmp: { port: 0, host: hasIpv6Loopback ? '::' : '127.0.0.1', allowPublishFrom: ['127.0.0.0/8', '::1'] },
      cameras: [
        { id: 'any' },
        { id: 'v4only', publishFrom: ['127.0.0.1/32'] },
        { id: 'v6only', publishFrom: ['::1/128'] },
        { id: 'lan', streamKey: 's3cret', publishFrom: ['192.168.0.0/16', 'fd00::/8'] },
      ],
    });
  });
  after(() => t.stop());

  test('127.0.0.1 in the global list publishes; a camera whose list excludes it is refused with onStatus, close and a log line', async () => {
    assert.deepEqual(await publish(t, 'any'), { code: 'NetStream.Publish.Start', closed: false });
    assert.deepEqual(await publish(t, 'v4only'), { code: 'NetStream.Publish.Start', closed: false });
    assert.deepEqual(await publish(t, 'lan?key=s3cret'), { code: 'NetStream.Publish.Unauthorized', closed: true });
    const [line] = refusals(t, 'lan');
    assert.ok(line, 'refusal logged');
    assert.equal(line.level, 40);
    assert.match(String(line.peer), /127\.0\.0\.1:\d+$/);
    assert.match(String(line.msg), /^publish refused: address (::ffff:)?127\.0\.0\.1 is not in the publishFrom list of camera "lan"$/);
  });

  test('::1 (IPv6 loopback)', { skip: !hasIpv6Loopback && 'no IPv6 loopback here' }, async () => {
    assert.deepEqual(await publish(t, 'v6only', '::1'), { code: 'NetStream.Publish.Start', closed: false });
    assert.deepEqual(await publish(t, 'v4only', '::1'), { code: 'NetStream.Publish.Unauthorized', closed: true });
    assert.deepEqual(await publish(t, 'v6only', '127.0.0.1'), { code: 'NetStream.Publish.Unauthorized', closed: true });
    assert.match(String(refusals(t, 'v4only')[0]?.msg), /address ::1 is not in the publishFrom list/);
    assert.match(String(refusals(t, 'v6only')[0]?.msg), /address ::ffff:127\.0\.0\.1 is not in the publishFrom list/);
  });
});

describe('a global list that excludes the publisher', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ rtmp: { port: 0, host: '127.0.0.1', allowPublishFrom: ['10.0.0.0/8', 'fd00::/8'] }, cameras: [{ id: 'cam1' }] });
  });
  after(() => t.stop());

  test('refused like a wrong key, naming rtmp.allowPublishFrom; the camera stays offline', async () => {
    assert.deepEqual(await publish(t, 'cam1'), { code: 'NetStream.Publish.Unauthorized', closed: true });
    assert.match(String(refusals(t, 'cam1')[0]?.msg), /^publish refused: address 127\.0\.0\.1 is not in rtmp\.allowPublishFrom$/);
    assert.equal(t.app.hub.stream('cam1')!.live, false);
  });
});
