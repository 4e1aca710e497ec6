import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { HttpError } from '../errors.js';

/** Where `node web/build.mjs` (run by npm install, npm start and the tests) puts the bundle. */
export const WEB_DIST = join(packageRoot(), 'web', 'dist');

/**
 * The web UI at `/`: index.html, app.js, app.css (and their source maps),
 * public like any login page (paths outside /api/ and /live/ need no
 * login): the shell holds no data and asks the API, which checks who is asking.
 */
export async function webRoutes(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? WEB_DIST;
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', async () => {
      throw new HttpError(503, 'UI_NOT_BUILT', 'the web UI is not built: run `node web/build.mjs` (npm install and npm start do)');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false, // only the files present at start: no directory walks from request paths
    index: ['index.html'],
    maxAge: 0, // revalidated by ETag each time: file names don't change between builds
  });
}
