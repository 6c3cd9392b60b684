// A private PostgreSQL server (its own data directory and free port) for
// fault tests that stop and start the database. It uses the machine's
// PostgreSQL binaries (the Debian `postgresql` package) and runs them as
// the `postgres` user when the tests run as root, since initdb refuses root.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Stoppable } from './dispose.js';
import { freePort } from './free-port.js';
import { tcpAccepts, waitUntil } from './wait.js';

const run = promisify(execFile);
export const postgresReadyTimeoutMs = 30_000;

export interface PostgresServer extends Stoppable {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown, or SIGKILL of the postmaster with `crash`) and starts it again. */
  restart(opts?: { downMs?: number; crash?: boolean }): Promise<void>;
  /** Stops it and leaves it down until `start()`. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

async function binDir(): Promise<string> {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? (await readdir(base)).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(base, v, 'bin')).find((d) => existsSync(join(d, 'pg_ctl')));
  if (!dir) throw new Error('testing: no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)');
  return dir;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = await binDir();
  const port = await freePort();
  const root = await mkdtemp(join(tmpdir(), 'eckd-pg-'));
  const data = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout), Number(gid));
    await chmod(root, 0o700);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const ctl = (args: string[]) => pg('pg_ctl', ['-D', data, ...args]);
  const start = async () => {
    await ctl(['-l', join(root, 'log'), '-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on`, '-w', 'start']);
    await waitUntil(() => tcpAccepts('127.0.0.1', port), postgresReadyTimeoutMs, `postgres on ${port}`);
  };
  const halt = async () => {
    await ctl(['-m', 'fast', '-w', 'stop']).catch(() => undefined);
  };
  await start();
  const stop = async () => {
    await halt();
    await rm(root, { recursive: true, force: true });
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart(opts = {}) {
      if (opts.crash) await ctl(['-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      else await halt();
      await new Promise((r) => setTimeout(r, opts.downMs ?? 0));
      await start();
    },
    halt,
    start,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
