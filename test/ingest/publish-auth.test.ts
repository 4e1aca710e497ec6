import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCidr } from '../../src/config/cidr.js';
import { AddressAllowList, allowListFor } from '../../src/ingest/address-allow-list.js';
import { checkPublish, sameSecret, type PublishCamera } from '../../src/ingest/publish-auth.js';

describe('parseCidr', () => {
  const good: [string, ReturnType<typeof parseCidr>][] = [
    ['192.168.1.0/24', { address: '192.168.1.0', prefix: 24, family: 'ipv4' }],
    ['10.0.0.7', { address: '10.0.0.7', prefix: 32, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['::ffff:192.168.1.0/120', { address: '::ffff:192.168.1.0', prefix: 120, family: 'ipv6' }],
  ];
  for (const [text, want] of good) test(`${text}`, () => assert.deepEqual(parseCidr(text), want));
  for (const text of ['', 'lan', '192.168.1.0/33', '192.168.1/24', '256.1.1.1', '10.0.0.0/-1', '10.0.0.0/', '::1/129', 'fd00::/8/8', '10.0.0.0/8x', 'example.com']) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseCidr(text), null));
  }
});

describe('AddressAllowList', () => {
  test('an empty list allows everyone', () => {
    assert.equal(new AddressAllowList([]).allows('203.0.113.9'), true);
    assert.equal(allowListFor([]), null);
    assert.equal(allowListFor(undefined), null);
  });

  test('IPv4 blocks match IPv4 peers and the same peers IPv4-mapped (dual-stack listener)', () => {
    const l = new AddressAllowList(['192.168.1.0/24', '10.0.0.7']);
    assert.equal(l.allows('192.168.1.200'), true);
    assert.equal(l.allows('::ffff:192.168.1.200'), true);
    assert.equal(l.allows('::FFFF:10.0.0.7'), true);
    assert.equal(l.allows('10.0.0.8'), false);
    assert.equal(l.allows('192.168.2.1'), false);
    assert.equal(l.allows('::ffff:192.168.2.1'), false);
    assert.equal(l.allows('fe80::1'), false);
  });

  test('IPv6 blocks; zone indexes ignored; junk refused', () => {
    const l = new AddressAllowList(['fd00::/8', '::1']);
    assert.equal(l.allows('fd12:3456::1'), true);
    assert.equal(l.allows('::1'), true);
    assert.equal(l.allows('fe80::1%eth0'), false);
    assert.equal(l.allows('127.0.0.1'), false);
    assert.equal(l.allows(''), false);
    assert.equal(l.allows('not an address'), false);
    assert.equal(new AddressAllowList(['fe80::/10']).allows('fe80::1%eth0'), true);
  });

  test('host bits in a block are ignored, as routers write them', () => {
    assert.equal(new AddressAllowList(['192.168.1.77/24']).allows('192.168.1.3'), true);
  });

  test('one compiled list per config array (cameras added at run time get theirs when first seen)', () => {
    const entries = ['10.0.0.0/8'];
    assert.equal(allowListFor(entries), allowListFor(entries));
  });
});

describe('checkPublish', () => {
  const cams = new Map<string, PublishCamera>([
    ['open', { id: 'open' }],
    ['keyed', { id: 'keyed', streamKey: 's3cret' }],
    ['lan', { id: 'lan', streamKey: 's3cret', publishFrom: ['192.168.1.0/24'] }],
  ]);
  const v4 = '192.168.1.5';

  test('camera ids and keys', () => {
    assert.deepEqual(checkPublish(cams, 'open', null, v4), { ok: true });
    assert.deepEqual(checkPublish(cams, 'keyed', 's3cret', v4), { ok: true });
    assert.equal((checkPublish(cams, 'nope', null, v4) as { code: string }).code, 'UNKNOWN_CAMERA');
    assert.equal((checkPublish(cams, 'keyed', null, v4) as { code: string }).code, 'BAD_KEY');
    assert.equal((checkPublish(cams, 'keyed', 's3cre', v4) as { code: string }).code, 'BAD_KEY');
    // a much longer key must be refused, not throw (timingSafeEqual throws on unequal lengths; hashes are equal-length)
    assert.equal((checkPublish(cams, 'keyed', 'x'.repeat(5000), v4) as { code: string }).code, 'BAD_KEY');
  });

  test('keys are compared as equal-length digests', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('', 'a'.repeat(300)), false);
  });

  test('per-camera publishFrom: checked before the key, refusal names the address and the camera', () => {
    assert.deepEqual(checkPublish(cams, 'lan', 's3cret', v4), { ok: true });
    assert.deepEqual(checkPublish(cams, 'lan', 's3cret', `::ffff:${v4}`), { ok: true });
    const r = checkPublish(cams, 'lan', 's3cret', '10.1.1.1');
    assert.deepEqual(r, { ok: false, code: 'ADDRESS_NOT_ALLOWED', message: 'address 10.1.1.1 is not in the publishFrom list of camera "lan"' });
    assert.equal((checkPublish(cams, 'lan', 'wrong', '10.1.1.1') as { code: string }).code, 'ADDRESS_NOT_ALLOWED');
  });

  test('the global list goes first: a refused address learns nothing about camera ids', () => {
    const global = new AddressAllowList(['192.168.0.0/16']);
    assert.deepEqual(checkPublish(cams, 'open', null, v4, global), { ok: true });
    for (const cam of ['open', 'nope', 'keyed']) {
      const r = checkPublish(cams, cam, null, '10.1.1.1', global);
      assert.deepEqual(r, { ok: false, code: 'ADDRESS_NOT_ALLOWED', message: 'address 10.1.1.1 is not in rtmp.allowPublishFrom' });
    }
  });
});
