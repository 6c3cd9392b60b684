// The ops listener every app serves on --listen-metrics-urls (HTTP/1.1):
// etcd 3.6's /livez and /readyz (text), /health and /version (JSON), and
// /metrics. Shapes follow etcd's etcdhttp handlers (docs/ARCHITECTURE.md §9).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { HealthChecks } from './health-checks.js';
import { runHealthChecks } from './health-checks.js';
import type { OpsListen } from './ops-config.js';
import type { EtcdVersions } from './versions.js';

/** etcd's /health body: "true"/"false" as strings, and why not. */
export interface EtcdHealth {
  readonly health: 'true' | 'false';
  readonly reason: string;
}

export interface OpsHandlers {
  /** The process answers (etcd: serializable_read). */
  readonly livez: HealthChecks;
  /** The app can do what a user relies on it for (the readiness rules of ARCHITECTURE §9). */
  readonly readyz: HealthChecks;
  /** etcd's /health (given the query: `?serializable=true`, `?exclude=NOSPACE`); by default the readyz checks, the first failure as the reason. */
  readonly health?: (query: URLSearchParams) => Promise<EtcdHealth>;
  readonly versions: EtcdVersions;
  /** Absent: /metrics answers 404 (metrics off). */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  readonly checkTimeoutMs: number;
  /** Per listener; beyond, Node closes new connections at once. */
  readonly connectionsMax: number;
}

export interface OpsServer {
  /** http://host:port per listener, as bound. */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves one request to an ops path (`/livez`, `/readyz` and their checks,
 * `/health`, `/version`, `/metrics` when metrics are on) and answers true;
 * any other path is left alone (false). The ops listener and the client
 * port's gateway both call it, so both answer alike (ARCHITECTURE §9).
 */
export type OpsRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function opsRequestHandler(handlers: OpsHandlers, log: Logger): OpsRequestHandler {
  const health = (query: URLSearchParams) => (handlers.health ?? (() => healthFromChecks(handlers.readyz, handlers.checkTimeoutMs)))(query);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://ops');
    if (!isOpsPath(url.pathname, handlers)) return false;
    route(req, res, url, handlers, health).catch((err: unknown) => {
      log.warn('ops request failed', { url: req.url, err });
      if (!res.headersSent) plain(res, 500, 'internal error\n');
    });
    return true;
  };
}

function isOpsPath(path: string, h: OpsHandlers): boolean {
  if (path === '/version' || path === '/health' || path === '/livez' || path === '/readyz') return true;
  if (path === '/metrics') return h.metrics !== undefined;
  return (path.startsWith('/livez/') && Object.hasOwn(h.livez, path.slice(7))) || (path.startsWith('/readyz/') && Object.hasOwn(h.readyz, path.slice(8)));
}

export async function startOpsServer(listen: readonly OpsListen[], handlers: OpsHandlers, log: Logger): Promise<OpsServer> {
  const serveOps = opsRequestHandler(handlers, log);
  const servers: Server[] = [];
  const urls: string[] = [];
  const close = () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  try {
    for (const { host, port } of listen) {
      const server = createServer((req, res) => {
        if (serveOps(req, res)) return;
        if (req.method === 'GET') return plain(res, 404, '404 page not found\n');
        res.setHeader('Allow', 'GET');
        plain(res, 405, 'Method Not Allowed\n');
      });
      servers.push(server);
      server.maxConnections = handlers.connectionsMax;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      urls.push(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    urls,
    close: () => {
      // A scraper's idle keep-alive connection must not hold shutdown up.
      for (const s of servers) s.closeAllConnections();
      return close();
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL, h: OpsHandlers, health: (query: URLSearchParams) => Promise<EtcdHealth>): Promise<void> {
  const path = url.pathname;
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    return plain(res, 405, 'Method Not Allowed\n');
  }
  if (path === '/metrics' && h.metrics) return h.metrics(req, res);
  if (path === '/version') return json(res, 200, h.versions);
  if (path === '/health') {
    const answer = await health(url.searchParams);
    // etcd answers a failure with http.Error: the JSON plus a newline.
    return answer.health === 'true' ? plain(res, 200, JSON.stringify(answer)) : plain(res, 503, `${JSON.stringify(answer)}\n`);
  }
  for (const [root, checks] of [['/livez', h.livez], ['/readyz', h.readyz]] as const) {
    if (path === root) return checksAnswer(res, url, checks, Object.keys(checks).filter((n) => !url.searchParams.getAll('exclude').includes(n)), h.checkTimeoutMs);
    if (path.startsWith(`${root}/`) && Object.hasOwn(checks, path.slice(root.length + 1))) {
      return checksAnswer(res, url, checks, [path.slice(root.length + 1)], h.checkTimeoutMs);
    }
  }
}

/** etcd: "ok" (after the lines with ?verbose) or 503 with the lines. */
async function checksAnswer(res: ServerResponse, url: URL, checks: HealthChecks, names: readonly string[], timeoutMs: number): Promise<void> {
  const report = await runHealthChecks(checks, names, timeoutMs);
  if (!report.ok) return plain(res, 503, `${report.text}\n`);
  plain(res, 200, `${url.searchParams.has('verbose') ? report.text : ''}ok\n`);
}

export async function healthFromChecks(checks: HealthChecks, timeoutMs: number): Promise<EtcdHealth> {
  const report = await runHealthChecks(checks, Object.keys(checks), timeoutMs);
  return { health: report.ok ? 'true' : 'false', reason: report.firstFailure ?? '' };
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
