/**
 * `npm run hash-password`: prints an scrypt hash for auth.users[].passwordHash.
 * The password is read without echo from a terminal (asked twice), or from
 * stdin when piped (`printf %s "$PW" | npm run -s hash-password`), never
 * from the command line where `ps` and shell history would keep it.
 */
import { hashPassword } from './password-hash.js';

const MIN_LENGTH = 8;
const MAX_LENGTH = 1024;

async function main(): Promise<number> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await prompt('New password: ');
    const again = await prompt('Again: ');
    if (again !== password) return fail('the two passwords differ');
  } else {
    password = (await readAll()).replace(/\r?\n$/, ''); // one trailing newline is echo's, not the password's
  }
  if (password.length < MIN_LENGTH) return fail(`a password needs at least ${MIN_LENGTH} characters`);
  if (password.length > MAX_LENGTH) return fail(`a password may have at most ${MAX_LENGTH} characters`);
  process.stdout.write(`${await hashPassword(password)}\n`);
  if (process.stdin.isTTY) process.stderr.write('Put it in your config:\n  auth:\n    users:\n      - { name: NAME, role: admin, passwordHash: "<the line above>" }\n');
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`hash-password: ${message}\n`);
  return 1;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > MAX_LENGTH * 4 + 2) break; // more is not a password
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve) => {
    let typed = '';
    const onData = (s: string): void => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          return resolve(typed);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          process.stderr.write('\n');
          process.exit(130); // Ctrl-C
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

process.exitCode = await main();
