// Bundles the web UI (web/src) into web/dist with esbuild: one JS file, one
// CSS file and index.html, all served by the NVR itself (no CDN: LAN boxes
// often have no internet). Run by `npm install` (prepare), `npm start` and tests.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
export const DIST = join(here, 'dist');
/** The budget for everything a browser downloads, gzipped. */
const MAX_GZIP_BYTES = 200 * 1024;

export async function buildWeb({ quiet = false } = {}) {
  mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: { app: join(here, 'src/main.tsx') },
    outdir: DIST,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: quiet ? 'error' : 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(DIST, 'index.html'));
  const gz = ['app.js', 'app.css', 'index.html'].reduce((n, f) => n + gzipSync(readFileSync(join(DIST, f))).length, 0);
  if (gz > MAX_GZIP_BYTES) throw new Error(`web bundle is ${gz} bytes gzipped, over the ${MAX_GZIP_BYTES} budget`);
  if (!quiet) console.log(`web: built web/dist (${(gz / 1024).toFixed(1)} KiB gzipped)`);
  return { gzipBytes: gz };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildWeb().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
