/**
 * CPU and resident memory of a process and all its descendants, from /proc
 * (nginx's master and workers, our server and any ffmpeg it runs).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());

/** Fields after the command name of /proc/PID/stat (field 3 is index 0). */
function stat(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited
  }
}

export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const ppid = Number(stat(pid)?.[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export interface TreeSample {
  /** utime + stime of the live processes, seconds */
  cpuS: number;
  rssBytes: number;
  processes: number;
}

export function sampleTree(root: number): TreeSample {
  let ticks = 0;
  let rss = 0;
  const pids = processTree(root);
  for (const pid of pids) {
    const f = stat(pid);
    if (!f) continue;
    ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    rss += Number(f[21]) * PAGE; // rss in pages (field 24)
  }
  return { cpuS: ticks / TICKS, rssBytes: rss, processes: pids.length };
}
