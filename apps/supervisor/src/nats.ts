// NATS for the node: use the server at NATS_URL if one answers; otherwise,
// when NATS_URL names this machine and nats-server is installed, run one as
// a supervised child with JetStream and its data under the data directory.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ChildSpec } from './supervised-child.js';
import type { NatsProbeResult } from './net-probe.js';

export const natsDefaultPort = 4222;
export const natsProbeTimeoutMs = 1500;
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface NatsEndpoint {
  readonly host: string;
  readonly port: number;
}

export class NatsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsUnavailableError';
  }
}

export type NatsPlan =
  | { readonly kind: 'external'; readonly endpoint: NatsEndpoint }
  | { readonly kind: 'embedded'; readonly endpoint: NatsEndpoint; readonly binary: string };

/** The host and port of each server in a (comma-separated) NATS_URL. */
export function natsEndpoints(natsUrl: string): NatsEndpoint[] {
  return natsUrl.split(',').map((part) => {
    const url = new URL(part.trim());
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? natsDefaultPort : Number(url.port) };
  });
}

/**
 * Decides what to do about NATS from what the probe found and whether
 * nats-server is installed; throws NatsUnavailableError with advice.
 */
export function planNats(natsUrl: string, probe: NatsProbeResult, binary: string | undefined): NatsPlan {
  const endpoints = natsEndpoints(natsUrl);
  const first = endpoints[0]!;
  if (probe === 'nats') return { kind: 'external', endpoint: first };
  if (probe === 'other') {
    throw new NatsUnavailableError(`supervisor: something that is not NATS answers at ${natsUrl}; point NATS_URL at a NATS server`);
  }
  const local = endpoints.length === 1 && natsUrl.trim().startsWith('nats:') && loopbackHosts.has(first.host);
  if (!local) {
    throw new NatsUnavailableError(`supervisor: no NATS server answers at ${natsUrl}; start it, or unset NATS_URL to run one here`);
  }
  if (binary === undefined) {
    throw new NatsUnavailableError(
      `supervisor: no NATS server answers at ${natsUrl} and nats-server is not installed.\n` +
        '  Install it (Debian/Ubuntu: apt-get install nats-server; or see https://docs.nats.io),\n' +
        '  or point NATS_URL at a running NATS server with JetStream.',
    );
  }
  return { kind: 'embedded', endpoint: first, binary };
}

/** The child that runs nats-server for the node. */
export function embeddedNatsSpec(options: {
  readonly binary: string;
  readonly endpoint: NatsEndpoint;
  readonly dataDir: string;
  /** the server config with the node's users and their permissions */
  readonly configFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}): ChildSpec {
  return {
    name: 'nats',
    command: options.binary,
    args: ['-c', options.configFile, '-a', options.endpoint.host, '-p', String(options.endpoint.port), '-js', '-sd', join(options.dataDir, 'nats')],
    env: options.env,
    isReadyLine: (line) => line.includes('Server is ready'),
    stopTimeoutMs: 10_000,
  };
}

/** The path of an executable found on PATH, like `command -v`. */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
