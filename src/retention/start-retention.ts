import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Segments } from '../storage/segments.js';
import type { DiskGate } from './disk-gate.js';
import type { EventSpans } from './event-spans.js';
import { Retention } from './retention.js';
import { rulesFromConfig } from './rules.js';

/** The retention module from the config: scheduled passes and the floor checks, started. */
export function startRetention(opts: { config: Config; segments: Segments; gate: DiskGate; log: Logger; events?: EventSpans }): Retention {
  const { config } = opts;
  const retention = new Retention({
    dataDir: config.dataDir,
    segments: opts.segments,
    rules: rulesFromConfig(config.cameras, config.retention),
    schedule: config.retention.schedule,
    gate: opts.gate,
    log: opts.log,
    events: opts.events,
  });
  retention.start();
  return retention;
}
