// A private nats-server (JetStream on) per test, on a free port with its own
// store directory; restart() keeps both so fault tests can bounce it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stoppable } from './dispose.js';
import { freePort } from './free-port.js';
import { startProcess } from './process.js';
import type { ProcessHandle } from './process.js';
import { sleep, tcpAccepts, waitUntil } from './wait.js';

export const natsReadyTimeoutMs = 15_000;

export interface NatsServerOptions {
  /** Default true. */
  jetstream?: boolean;
  /** Configuration text for what has no flag (max_payload, tls, authorization), written to a file the server reads. */
  config?: string;
  /** Extra nats-server arguments. */
  args?: readonly string[];
  /** Binary; default `nats-server` from PATH. */
  command?: string;
}

export interface NatsRestartOptions {
  /** How to stop it: SIGTERM (default, graceful) or SIGKILL (crash). */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** How long it stays down before starting again. */
  downMs?: number;
}

export interface NatsServer extends Stoppable {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly process: ProcessHandle;
  restart(opts?: NatsRestartOptions): Promise<void>;
}

/**
 * A port from freePort() may be taken by another process (a parallel test
 * file) before nats-server binds it; such a start is tried again on fresh
 * ports, at most this many times in all.
 */
export const portClashAttemptsMax = 3;

/** Whether a start failed because a port it was given was taken meanwhile. */
export function isPortClash(err: unknown): boolean {
  return String(err instanceof Error ? err.message : err).includes('address already in use');
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsServerOnce(opts);
    } catch (err) {
      if (!isPortClash(err) || attempt >= portClashAttemptsMax) throw err;
    }
  }
}

async function startNatsServerOnce(opts: NatsServerOptions): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'eckd-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (opts.jetstream ?? true) args.push('-js', '-sd', storeDir);
  if (opts.config !== undefined) {
    const configFile = join(storeDir, 'nats.conf');
    await writeFile(configFile, `${opts.config}\n`);
    args.push('-c', configFile);
  }
  args.push(...(opts.args ?? []));
  const waitAccepting = () => waitUntil(() => tcpAccepts('127.0.0.1', port), natsReadyTimeoutMs, `nats-server on ${port}`);

  let proc: ProcessHandle;
  try {
    proc = await startProcess({
      name: `nats-server:${port}`,
      command: opts.command ?? 'nats-server',
      args,
      readyLine: (l) => l.includes('Server is ready'),
      readyTimeoutMs: natsReadyTimeoutMs,
    });
    await waitAccepting();
  } catch (err) {
    await rm(storeDir, { recursive: true, force: true });
    throw err;
  }

  const stop = async () => {
    await proc.stop();
    await rm(storeDir, { recursive: true, force: true });
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    process: proc,
    async restart(restartOpts: NatsRestartOptions = {}) {
      if (restartOpts.signal === 'SIGKILL') {
        proc.kill('SIGKILL');
        await proc.exited;
      } else {
        await proc.stop();
      }
      if (restartOpts.downMs) await sleep(restartOpts.downMs);
      await proc.restart();
      await waitAccepting();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
