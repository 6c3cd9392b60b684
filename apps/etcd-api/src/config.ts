// The frontend's configuration: etcd-style flags for what etcd users know
// (--name, --listen-client-urls, ...), environment variables for the
// service plumbing (NATS_URL, ECKD_SUBJECT_PREFIX).
import { randomBytes } from 'node:crypto';
import { ConfigError, checkInt, envInt, readServiceBaseConfig, serviceFlags } from '@eckd/service-kit';
import type { AppFlags, ServiceBaseConfig } from '@eckd/service-kit';
import { readClientTls } from './client-tls.js';
import type { ClientTlsFiles } from './client-tls.js';

/** One URL the frontend listens on: plaintext (http) or TLS (https). */
export interface ListenUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}
import { parseAuthToken } from './auth/token-config.js';
import type { AuthTokenConfig } from './auth/token-config.js';

/** The frontend's command line: every service's flags (--name, --log-level, --listen-metrics-urls, --version) and its own. */
export const frontendFlags = [
  ...serviceFlags,
  'listen-client-urls',
  'advertise-client-urls',
  'max-request-bytes',
  'max-txn-ops',
  'watch-progress-notify-interval',
  'experimental-watch-progress-notify-interval',
  'max-concurrent-streams',
  'grpc-keepalive-min-time',
  'grpc-keepalive-interval',
  'grpc-keepalive-timeout',
  'internal-replication-factor',
  'external-replication-factor',
  'listen-client-http-urls',
  'cert-file',
  'key-file',
  'trusted-ca-file',
  'client-cert-auth',
  'auth-token',
  'auth-token-ttl',
  'bcrypt-cost',
] as const;

export interface FrontendConfig extends ServiceBaseConfig {
  frontendId: string;
  /** --listen-client-urls: gRPC and, unless --listen-client-http-urls is set, the JSON gateway */
  listen: ListenUrl[];
  /** --listen-client-http-urls: the JSON gateway only (then the client URLs serve gRPC only) */
  listenHttp: ListenUrl[];
  /** --cert-file, --key-file, --trusted-ca-file, --client-cert-auth (paths; undefined without --cert-file) */
  tls: ClientTlsFiles | undefined;
  /** how long a client connection may take to finish its TLS handshake and send its first bytes (client-listener.ts) */
  clientFirstBytesTimeoutMs: number;
  /** Watch streams the JSON gateway holds open at once (ECKD_GATEWAY_WATCH_STREAMS_MAX) */
  gatewayWatchStreamsMax: number;
  advertiseClientUrls: string[];
  maxRequestBytes: number;
  maxTxnOps: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  proposalBytesMax: number;
  /** requests waiting for a revision at once (acknowledger.ts) */
  revisionWaitsMax: number;
  /** how long a published revision may take to reach the replica before it resyncs */
  stallResyncMs: number;
  /** frontends of the node that must have applied a write before it is acknowledged, the proposing one included */
  internalReplicationFactor: number;
  /** other members that must have stored a write in their Postgres before it is acknowledged */
  externalReplicationFactor: number;
  /** how often at most a frontend tells the node's others what it applied (FrontendApplied) */
  frontendAppliedIntervalMs: number;
  watchProgressNotifyIntervalMs: number;
  /** writes queued or awaiting the backend's result at once (proposer.ts) */
  proposerQueueMax: number;
  /** watchers one Watch stream may hold */
  watchersPerStreamMax: number;
  /** bytes queued for one Watch or LeaseKeepAlive stream's client before it counts as backed up */
  streamQueuedBytesMax: number;
  /** keep-alives of one LeaseKeepAlive stream proposed and not yet answered */
  keepAlivesPerStreamMax: number;
  /** Lock and Campaign calls and Observe streams open at once (concurrency/prefix-waits.ts) */
  concurrencyWaitsMax: number;
  /** gRPC streams (calls) open at once on one client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS) */
  maxConcurrentStreams: number;
  /** memory one client connection's HTTP/2 session may hold before new streams are refused */
  grpcSessionMemoryMb: number;
  /** client pings closer than this are answered with GOAWAY (too_many_pings) */
  grpcKeepaliveMinTimeMs: number;
  /** the server pings an idle connection this often */
  grpcKeepaliveIntervalMs: number;
  /** and closes it when the ping is not answered within this */
  grpcKeepaliveTimeoutMs: number;
  /** how often the frontend announces its client URLs to its backend (MemberList) */
  frontendAnnounceIntervalMs: number;
  /** --auth-token and --auth-token-ttl (simple tokens' lifetime) */
  authToken: AuthTokenConfig;
  /** --bcrypt-cost: of the password hashes UserAdd and UserChangePassword make */
  bcryptCost: number;
  /** how often the auth replica asks the backend for the auth state (besides the published changes) */
  authRefreshIntervalMs: number;
  /** ECKD_AUTH_TOKEN_USES_INTERVAL_MS: how often a frontend sends the simple tokens it accepted to the node's others (token-use-link.ts) */
  authTokenUsesIntervalMs: number;
}

export function readFrontendConfig(flags: AppFlags): Readonly<FrontendConfig> {
  const env = flags.env;
  const base = readServiceBaseConfig(flags);
  const nodeName = base.nodeName;
  const listenUrls = splitUrls(flags.text('listen-client-urls') ?? 'http://127.0.0.1:2379');
  const listen = listenUrls.map((url) => parseListenUrl('--listen-client-urls', url));
  const listenHttp = splitUrls(flags.text('listen-client-http-urls') ?? '').map((url) => parseListenUrl('--listen-client-http-urls', url));
  const tls = readClientTls(flags.given, env, [...listen, ...listenHttp]);
  return Object.freeze({
    ...base,
    nodeName,
    frontendId: `${nodeName}-${process.pid}-${randomBytes(3).toString('hex')}`,
    listen,
    listenHttp,
    tls,
    clientFirstBytesTimeoutMs: envInt(env, 'ECKD_CLIENT_FIRST_BYTES_TIMEOUT_MS', 10_000, { min: 100 }),
    gatewayWatchStreamsMax: envInt(env, 'ECKD_GATEWAY_WATCH_STREAMS_MAX', 1000, { min: 1 }),
    advertiseClientUrls: splitUrls(flags.text('advertise-client-urls') ?? listenUrls.join(',')),
    maxRequestBytes: checkInt('--max-request-bytes', flags.text('max-request-bytes') ?? String(1.5 * 1024 * 1024), { min: 1024 }),
    maxTxnOps: checkInt('--max-txn-ops', flags.text('max-txn-ops') ?? '128', { min: 1 }),
    requestTimeoutMs: envInt(env, 'ECKD_REQUEST_TIMEOUT_MS', 7_000, { min: 100 }),
    // etcd allows 2 GiB replies; eckd's default keeps one reply's buffers well inside a process's memory.
    maxResponseBytes: envInt(env, 'ECKD_MAX_RESPONSE_BYTES', 256 * 1024 * 1024, { min: 1024, max: 2 ** 31 - 1 }),
    proposalBytesMax: envInt(env, 'ECKD_PROPOSAL_BYTES_MAX', 256 * 1024, { min: 1024 }),
    revisionWaitsMax: envInt(env, 'ECKD_REVISION_WAITS_MAX', 100_000, { min: 1 }),
    stallResyncMs: envInt(env, 'ECKD_STALL_RESYNC_MS', 1_000, { min: 10 }),
    // Flag first, then environment: 1 and 0 are a single node's behaviour (docs/ARCHITECTURE.md §3).
    internalReplicationFactor: checkInt('--internal-replication-factor', flags.text('internal-replication-factor') ?? env['ECKD_INTERNAL_FACTOR'] ?? '1', { min: 1 }),
    externalReplicationFactor: checkInt('--external-replication-factor', flags.text('external-replication-factor') ?? env['ECKD_EXTERNAL_FACTOR'] ?? '0', { min: 0 }),
    frontendAppliedIntervalMs: envInt(env, 'ECKD_FRONTEND_APPLIED_INTERVAL_MS', 20, { min: 1 }),
    proposerQueueMax: envInt(env, 'ECKD_PROPOSER_QUEUE_MAX', 10_000, { min: 1 }),
    watchersPerStreamMax: envInt(env, 'ECKD_WATCHERS_PER_STREAM_MAX', 100_000, { min: 1 }),
    streamQueuedBytesMax: envInt(env, 'ECKD_STREAM_QUEUED_BYTES_MAX', 4 * 1024 * 1024, { min: 64 * 1024 }),
    keepAlivesPerStreamMax: envInt(env, 'ECKD_KEEPALIVES_PER_STREAM_MAX', 1000, { min: 1 }),
    // etcd has no such bound (each waiting call holds a watch on its server).
    concurrencyWaitsMax: envInt(env, 'ECKD_CONCURRENCY_WAITS_MAX', 10_000, { min: 1 }),
    // etcd's default is math.MaxUint32 (no bound); eckd bounds what one connection may open.
    maxConcurrentStreams: checkInt('--max-concurrent-streams', flags.text('max-concurrent-streams') ?? '1000', { min: 1, max: 2 ** 32 - 1 }),
    // Node's own default; etcd (grpc-go) has no such bound.
    grpcSessionMemoryMb: envInt(env, 'ECKD_GRPC_SESSION_MEMORY_MB', 10, { min: 1 }),
    // etcd's defaults: 5 s, 2 h, 20 s.
    grpcKeepaliveMinTimeMs: parseGoDuration('--grpc-keepalive-min-time', flags.text('grpc-keepalive-min-time') ?? '5s'),
    grpcKeepaliveIntervalMs: parseGoDuration('--grpc-keepalive-interval', flags.text('grpc-keepalive-interval') ?? '2h'),
    grpcKeepaliveTimeoutMs: parseGoDuration('--grpc-keepalive-timeout', flags.text('grpc-keepalive-timeout') ?? '20s'),
    // Well inside the backend's ECKD_FRONTEND_EXPIRY_MS (30 s by default).
    frontendAnnounceIntervalMs: envInt(env, 'ECKD_FRONTEND_ANNOUNCE_INTERVAL_MS', 10_000, { min: 50 }),
    // etcd's defaults: simple tokens living 300 s, bcrypt cost 10 (4 to 31).
    authToken: parseAuthToken(flags.text('auth-token') ?? 'simple', 1000 * checkInt('--auth-token-ttl', flags.text('auth-token-ttl') ?? '300', { min: 1 }), parseGoDuration),
    bcryptCost: checkInt('--bcrypt-cost', flags.text('bcrypt-cost') ?? '10', { min: 4, max: 31 }),
    authRefreshIntervalMs: envInt(env, 'ECKD_AUTH_REFRESH_INTERVAL_MS', 5_000, { min: 100 }),
    // etcd checks its simple tokens' deadlines once a second (simpleTokenTTLResolution).
    authTokenUsesIntervalMs: envInt(env, 'ECKD_AUTH_TOKEN_USES_INTERVAL_MS', 1_000, { min: 10 }),
    // etcd 3.6 name, and the 3.4/3.5 one; default 10 minutes, at least 100 ms.
    watchProgressNotifyIntervalMs: Math.max(
      100,
      parseGoDuration(
        '--watch-progress-notify-interval',
        flags.text('watch-progress-notify-interval') ?? flags.text('experimental-watch-progress-notify-interval') ?? '10m',
      ),
    ),
  });
}

function splitUrls(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseListenUrl(flag: string, raw: string): ListenUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${flag}: "${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${flag}: expected http:// or https://, got "${raw}"`);
  if (!url.port) throw new ConfigError(`${flag}: "${raw}" needs a port`);
  return { scheme: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

/** Go's time.ParseDuration for the units etcd users write: "10m", "1s", "500ms", "1m30s". */
export function parseGoDuration(flag: string, raw: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== raw) throw new ConfigError(`${flag}: "${raw}" is not a duration like 10m or 500ms`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * units[p[2]!]!, 0);
}
