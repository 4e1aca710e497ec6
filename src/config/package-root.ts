import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, config/default.yaml and migrations/. Found by walking
 * up from this file so it is the same whether we run from src/ (tsx) or from
 * dist/src/ (npm start), and independent of the cwd.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package root not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The "version" field of our package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
