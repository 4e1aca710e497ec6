/**
 * Paths of files we serve or change are built only from index rows, and
 * every one is checked here to stay inside dataDir before it is opened: a
 * tampered or corrupt row must not make us read, truncate or delete
 * /etc/passwd. (Lexical: a symlink planted inside dataDir needs write access
 * to dataDir, which is already everything.)
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NvrError } from '../errors.js';

export class PathEscapeError extends NvrError {
  constructor(message: string) {
    super('PATH_ESCAPE', message);
    this.name = 'PathEscapeError';
  }
}

/** The absolute path of `rel` under `root`; throws PathEscapeError if it would leave root (or is root itself). */
export function resolveInside(root: string, rel: string): string {
  if (rel.length === 0 || rel.includes('\0')) throw new PathEscapeError(`path ${JSON.stringify(rel)} is empty or holds a NUL byte`);
  if (isAbsolute(rel)) throw new PathEscapeError(`path ${JSON.stringify(rel)} is absolute; index paths are relative to the data directory`);
  const base = resolve(root);
  const file = resolve(base, rel);
  const inside = relative(base, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new PathEscapeError(`path ${JSON.stringify(rel)} leads outside the data directory`);
  }
  return file;
}
