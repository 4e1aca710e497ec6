/** Config errors for rtmp.tls (files read and checked at load) and the publish allow-lists. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-tls-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(dir, 'other-key.pem'), other);
  execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-aes256', '-passout', 'pass:x', '-out', join(dir, 'encrypted-key.pem')], { stdio: 'ignore' });
  writeFileSync(join(dir, 'junk.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
});

let n = 0;
function load(config: Record<string, unknown>) {
  const file = join(dir, `c${++n}.yaml`);
  writeFileSync(file, stringify(config));
  return loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
}
function fails(config: Record<string, unknown>, message: string | RegExp): void {
  assert.throws(() => load(config), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}
const tls = (over: Record<string, unknown>) => ({ rtmp: { tls: { enabled: true, cert: 'cert.pem', key: 'key.pem', ...over } } });

describe('rtmp.tls', () => {
  test('a good certificate and key load; paths resolve against the cwd', () => {
    const cfg = load(tls({}));
    assert.deepEqual(cfg.rtmp.tls, { enabled: true, port: 1936, host: '0.0.0.0', cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  });
  test('files are not read while TLS is off', () => {
    assert.equal(load({ rtmp: { tls: { enabled: false, cert: 'nope.pem' } } }).rtmp.tls.enabled, false);
  });
  test('enabled without a certificate', () => fails(tls({ cert: null }), 'config: rtmp.tls.cert: is required when rtmp.tls.enabled is true (a PEM file)'));
  test('a missing file', () => fails(tls({ key: 'missing.pem' }), `config: rtmp.tls.key: cannot read ${join(dir, 'missing.pem')}: no such file`));
  test('a certificate that does not parse', () => fails(tls({ cert: 'junk.pem' }), new RegExp(`^config: rtmp\\.tls\\.cert: ${join(dir, 'junk.pem')} is not a PEM certificate \\(.+\\)$`)));
  test('a key that is no key', () => fails(tls({ key: 'cert.pem' }), /^config: rtmp\.tls\.key: .*cert\.pem is not an unencrypted PEM private key \(.+\)$/));
  test('an encrypted key', () => fails(tls({ key: 'encrypted-key.pem' }), /^config: rtmp\.tls\.key: .*encrypted-key\.pem is encrypted; give it without a passphrase/));
  test('a key of another certificate', () => fails(tls({ key: 'other-key.pem' }), `config: rtmp.tls.key: ${join(dir, 'other-key.pem')} does not belong to the certificate in rtmp.tls.cert`));
  test('the TLS port may not be the RTMP port', () => fails(tls({ port: 1935 }), 'config: rtmp.tls.port: 1935 is also rtmp.port'));
  test('unknown keys are named', () => fails(tls({ passphrase: 'x' }), /^config: rtmp\.tls\.passphrase: unknown key \(known keys: enabled, port, host, cert, key\)$/));
});

describe('publish allow-lists', () => {
  test('addresses and CIDR blocks, IPv4 and IPv6', () => {
    const cfg = load({ rtmp: { allowPublishFrom: ['192.168.1.0/24', '10.0.0.7', 'fd00::/8'] }, cameras: [{ id: 'a', publishFrom: ['192.168.1.20'] }, { id: 'b' }] });
    assert.deepEqual(cfg.rtmp.allowPublishFrom, ['192.168.1.0/24', '10.0.0.7', 'fd00::/8']);
    assert.deepEqual(cfg.cameras[0].publishFrom, ['192.168.1.20']);
    assert.equal(cfg.cameras[1].publishFrom, undefined);
  });
  test('a bad global entry is named with its index', () => {
    fails({ rtmp: { allowPublishFrom: ['192.168.1.0/24', '192.168.1.0/33'] } }, 'config: rtmp.allowPublishFrom[1]: "192.168.1.0/33" is not an IP address or CIDR block (like 192.168.1.0/24, 10.0.0.7, fd00::/8)');
  });
  test('a bad per-camera entry', () => {
    fails({ cameras: [{ id: 'a', publishFrom: ['lan'] }] }, 'config: cameras[0].publishFrom[0]: "lan" is not an IP address or CIDR block (like 192.168.1.0/24, 10.0.0.7, fd00::/8)');
  });
});
