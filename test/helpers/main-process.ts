import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package root: children run from here so `--import tsx` resolves. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The NVR's env minus anything from the developer's shell that would change its config. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('NVR_')) delete env[key];
  return { ...env, ...extra };
}

/** `node --import tsx src/main.ts ARGS`, stdout and stderr piped. */
export function spawnMain(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env: cleanEnv(env) });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects output until the process exits; kills it (and fails) after `timeoutMs`. */
export function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs = 10_000): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can precede the last 'data'; 'close' waits for the pipes.
      child.on('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });
}

/** Resolves with the first JSON log line on stdout for which `match` is true. */
export function waitForLogLine(
  child: ChildProcessWithoutNullStreams,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => done(new Error(`no matching log line within ${timeoutMs} ms; stdout so far:\n${buffered}\nstderr:\n${stderr}`)), timeoutMs);
    const onErr = (d: Buffer): void => void (stderr += d.toString());
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      for (const text of buffered.split('\n')) {
        if (!text.startsWith('{')) continue;
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (match(line)) return done(undefined, line);
        } catch {
          // a partial line: wait for the rest
        }
      }
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before the log line; stdout:\n${buffered}\nstderr:\n${stderr}`));
    const done = (err: Error | undefined, line?: Record<string, unknown>): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
  });
}
