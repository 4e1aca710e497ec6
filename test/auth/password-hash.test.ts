import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/auth/password-hash.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ROOT } from '../helpers/main-process.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('scrypt password hashes', () => {
  test('default parameters: a hash in the documented format that verifies only its password', async () => {
    const text = await hashPassword('correct horse battery');
    assert.match(text, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const h = parsePasswordHash(text);
    assert.equal(await verifyPassword('correct horse battery', h), true);
    assert.equal(await verifyPassword('correct horse batterY', h), false);
    assert.equal(await verifyPassword('', h), false);
  });

  test('a fresh salt each time; unicode compared in NFC form', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    assert.notEqual(a, b);
    const h = parsePasswordHash(await hashPassword('caf\u00e9', FAST)); // precomposed é
    assert.equal(await verifyPassword('cafe\u0301', h), true); // e + combining accent
  });

  test('parameters are read from the hash: a hash made with other N/r/p still verifies', async () => {
    const h = parsePasswordHash(await hashPassword('pw', { N: 2048, r: 4, p: 2 }));
    assert.deepEqual([h.N, h.r, h.p], [2048, 4, 2]);
    assert.equal(await verifyPassword('pw', h), true);
  });

  for (const [name, text, message] of [
    ['another algorithm', 'argon2id$v=19$m=65536$abc$def', /expected scrypt\$N\$r\$p\$salt\$hash/],
    ['missing fields', 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0', /expected scrypt/],
    ['N not a power of two', 'scrypt$10000$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', /N must be a power of two/],
    ['N too large (a gigabyte per login)', `scrypt$${2 ** 22}$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=`, /N must be/],
    ['r x N over the memory cap', `scrypt$${2 ** 20}$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=`, /MiB per hash/],
    ['p zero', 'scrypt$16384$8$0$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', /p must be 1-16/],
    ['salt not base64', 'scrypt$16384$8$1$not*base64$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', /salt is not base64/],
    ['hash too short', 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==', /hash must be 16-64 bytes/],
  ] as const) {
    test(`refused: ${name}`, () => assert.throws(() => parsePasswordHash(text), message));
  }
});

describe('auth config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-authcfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, yaml);
    return loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
  };

  test('defaults: on, no users, no tokens, 7-day idle sessions, 5 failures a minute', () => {
    const cfg = load('{}\n');
    assert.deepEqual(cfg.auth, {
      enabled: true,
      trustProxy: false,
      users: [],
      apiTokens: [],
      session: { idleMinutes: 10080, maxDays: 30 },
      loginLimit: { maxFailures: 5, windowSeconds: 60, maxBlockSeconds: 900 },
    });
  });

  test('a user with a good hash is accepted', async () => {
    const hash = await hashPassword('pw-for-alice', FAST);
    const cfg = load(`auth:\n  users:\n    - { name: alice, role: viewer, passwordHash: "${hash}" }\n`);
    assert.equal(cfg.auth.users[0]!.name, 'alice');
  });

  for (const [name, yaml, message] of [
    ['a bad hash names its key and what is wrong', 'auth: { users: [{ name: bob, role: admin, passwordHash: "hunter2" }] }\n', /^config: auth\.users\[0\]\.passwordHash: not a usable password hash: expected scrypt\$N\$r\$p\$salt\$hash/],
    ['a user name with a space', 'auth: { users: [{ name: "bob smith", role: admin, passwordHash: "x" }] }\n', /^config: auth\.users\[0\]\.name: "bob smith" must match/],
    ['a role that does not exist', 'auth: { apiTokens: [{ name: t, token: "0123456789abcdef", role: root }] }\n', /^config: auth\.apiTokens\[0\]\.role/],
    ['a short token', 'auth: { apiTokens: [{ name: t, token: "short", role: viewer }] }\n', /^config: auth\.apiTokens\[0\]\.token: must have at least 16 characters/],
    [
      'two tokens with one name',
      'auth: { apiTokens: [{ name: t, token: "0123456789abcdef", role: viewer }, { name: t, token: "0123456789abcdefg", role: admin }] }\n',
      /^config: auth\.apiTokens\[1\]\.name: duplicate name "t"/,
    ],
    ['a misspelt key', 'auth: { enabeld: true }\n', /^config: auth\.enabeld: unknown key/],
  ] as const) {
    test(`refused: ${name}`, () => assert.throws(() => load(yaml), { message }));
  }
});

describe('hash-password command', () => {
  const cli = (input: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/auth/hash-password-cli.ts'], { cwd: ROOT, input, encoding: 'utf8' });

  test('a piped password (one trailing newline dropped) gives one line: a hash that verifies it', async () => {
    const r = cli('piped password 1\n');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.equal(await verifyPassword('piped password 1', parsePasswordHash(lines[0]!)), true);
  });

  test('a password under 8 characters is refused with exit code 1', () => {
    const r = cli('short');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /at least 8 characters/);
  });
});
