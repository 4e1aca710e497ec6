import type { z } from 'zod';

/**
 * Turns a zod issue into the text after "config: " in a ConfigError:
 * `cameras[1].id: "Front Door" must match [a-z0-9][a-z0-9_-]{0,63}`.
 * `input` is the merged raw config, used to quote the offending value.
 */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType): string {
  const path = issue.path as PropertyKey[];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `${formatPath(path)}: is required`;
      return `${formatPath(path)}: expected ${article(issue.expected)}, got ${describe(value)}`;
    case 'invalid_format':
      if (issue.format === 'regex' && 'pattern' in issue && typeof issue.pattern === 'string') {
        return `${formatPath(path)}: ${describe(value)} must match ${bare(issue.pattern)}`;
      }
      return `${formatPath(path)}: ${describe(value)} is not a valid ${issue.format}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === 'string') {
        if (small && bound === 1) return `${formatPath(path)}: must not be empty`;
        return `${formatPath(path)}: must have ${small ? 'at least' : 'at most'} ${bound} characters`;
      }
      if (issue.origin === 'array') {
        return `${formatPath(path)}: must have ${small ? 'at least' : 'at most'} ${bound} entries`;
      }
      return `${formatPath(path)}: must be ${small ? '>=' : '<='} ${bound}, got ${describe(value)}`;
    }
    case 'invalid_value':
      return `${formatPath(path)}: ${describe(value)} must be one of: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '?';
      const known = knownKeys(schema, path);
      const hint = known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
      return `${formatPath([...path, key])}: unknown key${hint}`;
    }
    default:
      return `${formatPath(path)}: ${issue.message}`;
  }
}

/** `cameras[1].recording.format`; the empty path is the whole file. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += (out === '' ? '' : '.') + String(part);
  }
  return out === '' ? '(top level)' : out;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function article(expected: string): string {
  const words: Record<string, string> = {
    int: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
  };
  return words[expected] ?? expected;
}

/** "/^[a-z]$/" -> "[a-z]": the anchors are implied by "must match". */
function bare(pattern: string): string {
  return pattern.replace(/^\/\^?/, '').replace(/\$?\/[a-z]*$/, '');
}

/**
 * Best effort: the keys the schema allows at `path`, for the typo hint. Walks
 * zod's internal definition; any shape it does not know yields no hint.
 */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  type Def = { type: string; shape?: Record<string, unknown>; element?: unknown; innerType?: unknown; in?: unknown };
  const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } })?._zod?.def;
  const unwrap = (s: unknown): unknown => {
    for (let d = defOf(s); d; d = defOf(s)) {
      if (d.innerType !== undefined) s = d.innerType;
      else if (d.type === 'pipe' && d.in !== undefined) s = d.in;
      else break;
    }
    return s;
  };
  let cur: unknown = unwrap(schema);
  for (const part of path) {
    const def = defOf(cur);
    if (def?.type === 'array' && typeof part === 'number') cur = unwrap(def.element);
    else if (def?.type === 'object' && def.shape && typeof part === 'string') cur = unwrap(def.shape[part]);
    else return [];
  }
  const shape = defOf(cur)?.shape;
  return shape ? Object.keys(shape) : [];
}
