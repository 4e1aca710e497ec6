import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { acceptsQueryToken, addTokenToPlaylist, queryToken, stripQueryToken } from '../../src/auth/query-token.js';

const req = (url: string) => ({ url }) as IncomingMessage;

test('?token= is cut from the URL (so no log line shows it) and kept for the auth hook', () => {
  for (const [url, rest, token] of [
    ['/live/cam.flv?token=abc', '/live/cam.flv', 'abc'],
    ['/api/cameras/cam/export.mp4?from=1&token=a%2Bb&to=2', '/api/cameras/cam/export.mp4?from=1&to=2', 'a+b'],
    ['/x?token=a+b', '/x', 'a+b'],
    ['/x?token=first&token=second', '/x', 'first'],
    ['/x?mytoken=1&tokens=2', '/x?mytoken=1&tokens=2', undefined],
    ['/x?token=%E0%A4%A', '/x', ''],
    ['/x', '/x', undefined],
  ] as const) {
    const r = req(url);
    assert.equal(stripQueryToken(r), rest, url);
    assert.equal(queryToken(r), token, url);
  }
});

test('only live streams and media files take a query token, only on GET/HEAD', () => {
  assert.equal(acceptsQueryToken('/live/:id.flv', 'GET', undefined), true);
  assert.equal(acceptsQueryToken('/live/:id/index.m3u8', 'GET', undefined), true);
  assert.equal(acceptsQueryToken('/api/segments/:id/file', 'HEAD', undefined), true);
  assert.equal(acceptsQueryToken('/api/events/:id/snapshot.jpg', 'GET', undefined), true);
  assert.equal(acceptsQueryToken('/api/cameras', 'GET', undefined), false);
  assert.equal(acceptsQueryToken('/api/cameras/:id/export.mp4', 'POST', undefined), false);
  assert.equal(acceptsQueryToken('/api/other', 'GET', true), true, 'a route may opt in');
  assert.equal(acceptsQueryToken(undefined, 'GET', undefined), false);
});

test('an HLS playlist passes the token on to every URI in it', () => {
  const playlist = [
    '#EXTM3U',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXT-X-PART:DURATION=0.2,URI="part-7.m4s"',
    'seg-3.m4s',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.m4s?x=1"',
    '',
  ].join('\n');
  assert.equal(
    addTokenToPlaylist(playlist, 'a b'),
    ['#EXTM3U', '#EXT-X-MAP:URI="init-1.mp4?token=a%20b"', '#EXT-X-PART:DURATION=0.2,URI="part-7.m4s?token=a%20b"', 'seg-3.m4s?token=a%20b', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.m4s?x=1&token=a%20b"', ''].join('\n'),
  );
});
