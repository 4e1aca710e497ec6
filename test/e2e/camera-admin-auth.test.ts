/** Camera administration needs the admin role, reading a camera's settings (its stream key) included. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';

const VIEWER = 'viewer-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdefgh';
let t: TestApp;

before(async () => {
  t = await startTestApp({
    auth: {
      enabled: true,
      apiTokens: [
        { name: 'wall', token: VIEWER, role: 'viewer' },
        { name: 'ops', token: ADMIN, role: 'admin' },
      ],
    },
    cameras: [{ id: 'cam1', streamKey: 'secret', motion: { enabled: false } }],
  });
});
after(() => t.stop());

async function call(token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${t.httpPort}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test('viewers list cameras but cannot read settings or change cameras; admins can; nobody anonymous', async () => {
  assert.equal((await call(VIEWER, 'GET', '/api/cameras')).status, 200);
  const settings = await call(VIEWER, 'GET', '/api/cameras/cam1/settings');
  assert.equal(settings.status, 403);
  assert.ok(!JSON.stringify(settings.json).includes('secret'), 'no stream key in the refusal');
  assert.equal((await call(VIEWER, 'POST', '/api/cameras', { id: 'x' })).status, 403);
  assert.equal((await call(VIEWER, 'PATCH', '/api/cameras/cam1', { name: 'n' })).status, 403);
  assert.equal((await call(VIEWER, 'DELETE', '/api/cameras/cam1')).status, 403);
  assert.equal((await call(null, 'GET', '/api/cameras/cam1/settings')).status, 401);

  assert.equal((await call(ADMIN, 'GET', '/api/cameras/cam1/settings')).json.streamKey, 'secret');
  assert.equal((await call(ADMIN, 'POST', '/api/cameras', { id: 'x', motion: { enabled: false } })).status, 201);
  assert.equal((await call(ADMIN, 'PATCH', '/api/cameras/x', { name: 'X' })).json.name, 'X');
  assert.equal((await call(ADMIN, 'DELETE', '/api/cameras/x')).status, 204);
  assert.equal((await call(VIEWER, 'GET', '/api/cameras')).json.length, 1);
});
