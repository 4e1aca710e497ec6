/**
 * Entry point: config → logger → startApp (storage → [hub → RTMP ingest] →
 * HTTP; the module list is in app.ts) → signal handling.
 */
import { startApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { createLogger, type Logger } from './log/logger.js';

/** How long a graceful stop may take before we give up and exit 1. */
const STOP_DEADLINE_MS = 15_000;

const config = loadConfigOrExit();
const logger = createLogger(config.log.level);
exitOnCrash(logger);
// Signals are handled from the first moment: one that arrives while the app starts stops it as soon
// as it is up. Installed only after start-up, a SIGTERM right after the `listening` line could still
// meet the default action and kill the process mid-write (test/faults/sigterm-under-load.test.ts).
stopOnSignals(startOrExit(config, logger), logger);

function loadConfigOrExit(): Config {
  try {
    return loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(err.message + '\n'); // one line, before any logger exists
    process.exit(2);
  }
}

async function startOrExit(config: Config, logger: Logger): Promise<App> {
  try {
    return await startApp(config, logger);
  } catch (err) {
    logger.fatal({ err }, `start-up failed: ${(err as Error).message}`);
    process.exit(1);
  }
}

function stopOnSignals(starting: Promise<App>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing the stop');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: STOP_DEADLINE_MS }, 'stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    starting.then((app) => app.stop()).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Bugs end the process with a logged stack; the db is WAL, so a hard exit is safe. */
function exitOnCrash(logger: Logger): void {
  const die = (err: unknown, what: string): void => {
    logger.fatal({ err }, what);
    process.exit(1);
  };
  process.on('uncaughtException', (err) => die(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => die(err, 'unhandled promise rejection'));
}
