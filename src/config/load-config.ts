import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { NvrError } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { formatIssue, formatPath } from './format-issue.js';
import { packageRoot } from './package-root.js';
import { checkTlsFiles } from './tls-files.js';

export type { Config } from './schema.js';

/** A bad config. The message is one line, ready for stderr: `config: KEY: what is wrong`. */
export class ConfigError extends NvrError {
  constructor(detail: string) {
    super('CONFIG', `config: ${detail}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigInput {
  /** Command-line arguments after the script name (process.argv.slice(2)). */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Base for --config, NVR_CONFIG and a relative dataDir. */
  cwd: string;
}

/** Env variables that override single keys, in the order they are applied. */
const ENV_OVERRIDES = [
  { name: 'NVR_DATA_DIR', path: ['dataDir'], numeric: false },
  { name: 'NVR_RTMP_PORT', path: ['rtmp', 'port'], numeric: true },
  { name: 'NVR_HTTP_PORT', path: ['http', 'port'], numeric: true },
] as const;

/**
 * Embedded defaults, then the user file (--config FILE, else NVR_CONFIG)
 * deep-merged over them, then the env overrides; validated as a whole.
 */
export function loadConfig({ argv, env, cwd }: LoadConfigInput): Config {
  let raw = readYaml(join(packageRoot(), 'config', 'default.yaml'));
  const userFile = configFileArg(argv) ?? nonEmpty(env.NVR_CONFIG);
  if (userFile !== undefined) raw = deepMerge(raw, readYaml(resolve(cwd, userFile)));

  const sources = new Map<string, string>(); // key path -> env variable it came from
  for (const o of ENV_OVERRIDES) {
    const text = nonEmpty(env[o.name]);
    if (text === undefined) continue;
    // Not a plain integer: keep the string so validation quotes it back.
    const value = o.numeric && /^\d+$/.test(text.trim()) ? Number(text) : text;
    raw = deepMerge(raw, nest(o.path, value));
    sources.set(formatPath(o.path), o.name);
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const from = sources.get(formatPath(issue.path as PropertyKey[]));
    throw new ConfigError(formatIssue(issue, raw, configSchema) + (from ? ` (from ${from})` : ''));
  }
  const tls = checkTlsFiles(result.data.rtmp.tls, cwd);
  if ('problem' in tls) throw new ConfigError(tls.problem);
  return { ...result.data, dataDir: resolve(cwd, result.data.dataDir), rtmp: { ...result.data.rtmp, tls: tls.ok } };
}

/** `--config FILE` or `--config=FILE`; anything else on the command line is a mistake. */
function configFileArg(argv: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') {
      file = argv[++i];
      if (file === undefined || file.startsWith('--')) throw new ConfigError('--config: expected a file name after it');
    } else if (arg.startsWith('--config=')) {
      file = arg.slice('--config='.length);
      if (file === '') throw new ConfigError('--config: expected a file name after it');
    } else {
      throw new ConfigError(`unknown command-line argument ${JSON.stringify(arg)} (the only one is --config FILE)`);
    }
  }
  return file;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new ConfigError(`cannot read ${file}: ${why}`);
  }
  const doc = parseDocument(text); // duplicate keys are errors too
  const err = doc.errors[0];
  if (err) {
    // The message is "WHAT at line L, column C:" plus a multi-line excerpt.
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const pos = err.linePos?.[0];
    throw new ConfigError(`${pos ? `${file}:${pos.line}:${pos.col}` : file}: ${what}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {}; // empty file
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: expected a mapping of keys at the top level`);
  }
  return value as Record<string, unknown>;
}

/** Objects merge key by key; arrays and scalars in `over` replace. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value) as Record<string, unknown>;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
