import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { parseCidr } from './cidr.js';
import { parsePasswordHash, PasswordHashFormatError } from '../auth/password-hash.js';

/**
 * The config file's shape. Objects are strict so a misspelt key is an error
 * rather than a silently ignored setting. Top-level sections have no defaults
 * here: config/default.yaml is always merged underneath and is the one place
 * they are written down. Per-camera keys do have defaults, because every
 * camera in a user's list would otherwise have to repeat them.
 */

export const CAMERA_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Login names: safe to show in logs, easy to type on a phone. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
/** URL-unreserved characters only, so the key can be typed into `?key=` unescaped. */
export const STREAM_KEY_PATTERN = /^[A-Za-z0-9._~-]{1,256}$/;

const port = z.int().min(0).max(65535); // 0: let the OS pick (tests)
const host = z.string().min(1);
const positiveInt = z.int().min(1);

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i;
const UNIT: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 };
/** Bytes: an integer, or a size with a unit (500GB, 1.5 TiB; k/M/G/T are powers of 1000, Ki/Mi/Gi/Ti of 1024). */
const byteSize = z.unknown().transform((v, ctx) => {
  const m = typeof v === 'string' ? SIZE.exec(v.trim()) : null;
  const n = typeof v === 'number' ? v : m ? Math.floor(Number(m[1]) * (m[2] ? UNIT[m[2].toLowerCase()] : 1)) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size: give bytes (an integer) or a size like "500GB" or "2TiB"` });
    return z.NEVER;
  }
  return n;
});
/** Addresses that may publish: IPv4/IPv6 addresses or CIDR blocks; an empty list allows any. */
const addressList = z
  .array(
    z.string().refine((v) => parseCidr(v) !== null, {
      error: (iss) => `${JSON.stringify(iss.input)} is not an IP address or CIDR block (like 192.168.1.0/24, 10.0.0.7, fd00::/8)`,
    }),
  )
  .max(1024);

/** RTMPS: RTMP over TLS on its own port, with a certificate and key from PEM files (read and checked at start). */
const rtmpTls = z.strictObject({
  enabled: z.boolean(),
  port,
  host,
  cert: z.string().min(1).nullable(),
  key: z.string().min(1).nullable(),
});

/** An optional limit: absent or null means none. */
const optionalLimit = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

const rtmpLimits = z.strictObject({
  maxConnections: positiveInt,
  maxConnectionsPerAddress: positiveInt,
  maxMessageBytes: z.int().min(1024).max(16 * 1024 * 1024),
  // 128 is the spec's initial chunk size; 0x7fffffff its largest encodable one.
  maxChunkSize: z.int().min(128).max(0x7fffffff),
  maxChunkStreams: z.int().min(2).max(65599), // 65599: highest id a 3-byte basic header can name
  handshakeTimeoutMs: positiveInt,
  idleTimeoutMs: positiveInt,
  staleTakeoverMs: positiveInt,
});

/** A polygon in normalised picture coordinates: [x, y] with 0..1 from the top-left corner. */
const polygon = z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).min(3).max(64);

/** Motion detection per camera (src/motion/DESIGN.md). */
const cameraMotion = z
  .strictObject({
    enabled: z.boolean().default(true),
    sensitivity: z.int().min(1).max(100).default(50),
    minAreaPercent: z.number().gt(0).max(100).nullable().default(null),
    zones: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9 _.-]{1,64}$/), points: polygon })).max(32).default([]),
    masks: z.array(z.strictObject({ name: z.string().min(1).max(64).optional(), points: polygon })).max(32).default([]),
    decodeFps: z.number().min(0).max(10).default(0),
    minFrames: z.int().min(1).max(10).default(1),
    endSeconds: z.number().min(0).max(600).default(6),
    maxEventSeconds: z.int().min(10).max(3600).default(600),
  })
  .prefault({});

/** One camera: the config file's cameras[] entries, and cameras added or edited through the API (src/cameras/). */
export const cameraSchema = z
  .strictObject({
    id: z.string().regex(CAMERA_ID_PATTERN),
    name: z.string().min(1).max(200).optional(),
    streamKey: z.string().regex(STREAM_KEY_PATTERN).optional(),
    publishFrom: addressList.optional(),
    recording: z
      .strictObject({
        enabled: z.boolean().default(true),
        format: z.enum(['flv', 'mp4']).default('flv'),
        segmentSeconds: z.int().min(1).max(3600).default(60),
      })
      .prefault({}),
    motion: cameraMotion,
    retention: z
      .strictObject({
        days: z.int().min(1).default(14),
        eventDays: z.int().min(1).default(60),
        maxBytes: optionalLimit(byteSize),
      })
      .prefault({}),
  })
  .transform((c) => ({ ...c, name: c.name ?? c.id }));

const recording = z.strictObject({
  fsyncIntervalMs: z.int().min(0).max(60_000), // 0: only when a segment closes
  indexIntervalMs: z.int().min(1000).max(60_000),
  maxQueuedBytes: z.int().min(1 << 20).max(1 << 30),
  maxGapMs: z.int().min(1000).max(600_000),
  maxDriftMs: z.int().min(500).max(600_000),
});

/** Motion for all cameras: the decoder and thumbnails (per-camera detection settings are under cameras[].motion). */
const motion = z.strictObject({
  ffmpegPath: z.string().min(1).nullable(),
  thumbnailWidth: z.int().min(64).max(1920),
  jpegQuality: z.int().min(10).max(100),
  thumbnailIntervalMs: z.int().min(0).max(3_600_000),
  restartMinMs: z.int().min(100).max(600_000),
  restartMaxMs: z.int().min(100).max(3_600_000),
});

const webhook = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  cameras: z.array(z.string().regex(CAMERA_ID_PATTERN)).default([]),
  phases: z.array(z.enum(['start', 'end'])).min(1).default(['start', 'end']),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/), z.string()).default({}),
  timeoutMs: z.int().min(100).max(60_000).default(5000),
  retries: z.int().min(0).max(10).default(3),
});

/** Where motion events are sent (src/events/). */
const alerts = z.strictObject({
  webhooks: z.array(webhook).max(32),
  mqtt: z.strictObject({
    enabled: z.boolean(),
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
    username: z.string().nullable(),
    password: z.string().nullable(),
    clientId: z.string().min(1).max(128).nullable(),
    topicPrefix: z.string().regex(/^[^#+\s]+[^#+\s/]$/, 'must not contain #, + or spaces, nor end with /'),
    discovery: z.boolean(),
    discoveryPrefix: z.string().regex(/^[^#+\s]+[^#+\s/]$/, 'must not contain #, + or spaces, nor end with /'),
    qos: z.int().min(0).max(2),
  }),
});

/** Deleting old footage (src/retention/); per-camera days and byte budgets are under cameras[].retention. */
const retention = z.strictObject({
  schedule: z.string().refine((v) => validCron(v), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a cron expression (5 fields: minute hour day month weekday, or 6 with seconds first)`,
  }),
  maxBytes: optionalLimit(byteSize),
  maxPercent: optionalLimit(z.number().gt(0).max(100)),
  minFreeBytes: byteSize,
  minFreePercent: z.number().min(0).max(50),
});

/** What one HTTP request may cost (src/http/http-limits.ts). */
const httpLimits = z
  .strictObject({
    maxBodyBytes: z.int().min(1024).max(64 * 1024 * 1024),
    maxRangeDays: z.int().min(1).max(3660),
    requestTimeoutMs: z.int().min(1000).max(600_000),
    headersTimeoutMs: z.int().min(1000).max(600_000),
    maxEventsPerRequest: z.int().min(1).max(1_000_000),
    maxExports: z.int().min(1).max(1000),
    maxExportsPerClient: z.int().min(1).max(1000),
  })
  .superRefine((l, ctx) => {
    // node refuses a headers timeout longer than the request timeout
    if (l.headersTimeoutMs > l.requestTimeoutMs) ctx.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: `must be <= http.limits.requestTimeoutMs (${l.requestTimeoutMs})` });
  });

/** Live viewers (src/live/): per-viewer backlog and how many may watch. */
const live = z.strictObject({
  maxViewers: z.int().min(1).max(100_000),
  maxViewersPerCamera: z.int().min(1).max(100_000),
  maxViewerBacklogBytes: z.int().min(64 * 1024).max(256 * 1024 * 1024),
  maxViewerLagMs: z.int().min(1000).max(600_000),
});

const apiToken = z.strictObject({
  name: z.string().min(1).max(64),
  token: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -base64 24`)').max(512),
  role: z.enum(['viewer', 'admin']),
});

const role = z.enum(['viewer', 'admin']);

/** A login; the hash is checked here so a bad one stops start-up naming its key. */
const user = z.strictObject({
  name: z.string().regex(USER_NAME_PATTERN, 'must be 1-64 letters, digits, or . _ @ -'),
  passwordHash: z.string().superRefine((v, ctx) => {
    try {
      parsePasswordHash(v);
    } catch (err) {
      if (!(err instanceof PasswordHashFormatError)) throw err;
      ctx.addIssue({ code: 'custom', message: `not a usable password hash: ${err.message}` });
    }
  }),
  role,
});

/** Access control for the web UI, the API and live streams (src/auth/). */
const auth = z.strictObject({
  enabled: z.boolean(),
  trustProxy: z.boolean(),
  users: z.array(user).max(256),
  apiTokens: z.array(apiToken).max(256),
  session: z.strictObject({
    idleMinutes: z.int().min(1).max(525_600),
    maxDays: z.number().gt(0).max(400),
  }),
  loginLimit: z.strictObject({
    maxFailures: z.int().min(1).max(1000),
    windowSeconds: z.int().min(1).max(86_400),
    maxBlockSeconds: z.int().min(1).max(86_400),
  }),
});

export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1),
    rtmp: z.strictObject({ port, host, allowPublishFrom: addressList, tls: rtmpTls, limits: rtmpLimits }),
    http: z.strictObject({ port, host, limits: httpLimits }),
    recording,
    retention,
    motion,
    alerts,
    live,
    log: z.strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    }),
    cameras: z.array(cameraSchema),
    /** cameras in the config file and added through the API together */
    maxCameras: z.int().min(1).max(4096),
    auth,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.cameras.length > cfg.maxCameras) {
      ctx.addIssue({ code: 'custom', path: ['cameras'], message: `${cfg.cameras.length} cameras, more than maxCameras (${cfg.maxCameras})` });
    }
    const seen = new Map<string, number>();
    cfg.cameras.forEach((cam, i) => {
      const first = seen.get(cam.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', i, 'id'],
          message: `duplicate id "${cam.id}" (cameras[${first}].id has it too)`,
        });
      } else seen.set(cam.id, i);
    });
    if (cfg.rtmp.port !== 0 && cfg.rtmp.port === cfg.http.port) {
      ctx.addIssue({ code: 'custom', path: ['http', 'port'], message: `${cfg.http.port} is also rtmp.port` });
    }
    const tls = cfg.rtmp.tls;
    if (tls.enabled) {
      for (const k of ['cert', 'key'] as const) {
        if (!tls[k]) ctx.addIssue({ code: 'custom', path: ['rtmp', 'tls', k], message: `is required when rtmp.tls.enabled is true (a PEM file)` });
      }
      const clash = tls.port === 0 ? null : tls.port === cfg.rtmp.port ? 'rtmp.port' : tls.port === cfg.http.port ? 'http.port' : null;
      if (clash) ctx.addIssue({ code: 'custom', path: ['rtmp', 'tls', 'port'], message: `${tls.port} is also ${clash}` });
    }
    cfg.alerts.webhooks.forEach((w, i) => {
      w.cameras.forEach((id, j) => {
        if (!seen.has(id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'webhooks', i, 'cameras', j], message: `no camera "${id}" in cameras` });
      });
    });
    if (cfg.motion.restartMaxMs < cfg.motion.restartMinMs) {
      ctx.addIssue({ code: 'custom', path: ['motion', 'restartMaxMs'], message: `must be >= motion.restartMinMs (${cfg.motion.restartMinMs})` });
    }
    uniqueNames(cfg.auth.users, ['auth', 'users'], ctx);
    uniqueNames(cfg.auth.apiTokens, ['auth', 'apiTokens'], ctx);
  });

/** Names are what logs and /api/auth/session show: two with one name could not be told apart. */
function uniqueNames(list: { name: string }[], path: string[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate name "${item.name}" (${path.join('.')}[${first}].name has it too)` });
    else seen.set(item.name, i);
  });
}

export type Config = z.output<typeof configSchema>;
export type CameraConfig = Config['cameras'][number];
export type RtmpLimits = Config['rtmp']['limits'];
export type LogLevel = Config['log']['level'];
export type RecordingConfig = Config['recording'];
export type RetentionConfig = Config['retention'];
export type MotionConfig = Config['motion'];
export type CameraMotionConfig = CameraConfig['motion'];
export type AlertsConfig = Config['alerts'];
export type AuthConfig = Config['auth'];
