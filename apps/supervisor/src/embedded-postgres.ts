// The embedded database, run as its own supervised process
// (`main.js embedded-postgres --data-dir D --host H --port P`): PGlite on a
// data directory, served to the node's processes through the PGlite gate.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from './log.js';
import { errorFields } from './log.js';
import { PgliteGate } from './pglite-gate.js';

export const embeddedPostgresCommand = 'embedded-postgres';
export const lockIdleTimeoutMs = 60_000;
export const connectionsMax = 100;
const parentCheckIntervalMs = 1000;

export interface EmbeddedPostgresArgs {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
}

export function parseEmbeddedPostgresArgs(argv: readonly string[]): EmbeddedPostgresArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'data-dir': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } },
    strict: true,
  });
  const dataDir = values['data-dir'];
  const port = Number(values.port ?? '0');
  if (dataDir === undefined || dataDir === '') throw new Error('embedded-postgres: --data-dir is required');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`embedded-postgres: bad --port ${values.port}`);
  return { dataDir, host: values.host ?? '127.0.0.1', port };
}

/** The URL clients use; PGlite has one database and one user, both "postgres". */
export function embeddedDatabaseUrl(host: string, port: number): string {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `postgres://postgres@${hostPart}:${port}/postgres?sslmode=disable`;
}

/** Runs until SIGTERM/SIGINT or until the parent supervisor is gone; returns the exit code. */
export async function runEmbeddedPostgres(args: EmbeddedPostgresArgs, log: Logger): Promise<number> {
  mkdirSync(args.dataDir, { recursive: true });
  const lockFile = takeDataDirLock(args.dataDir);
  const fresh = readdirSync(args.dataDir).length === 0;
  log.info(fresh ? 'creating the database (the first start takes a while)' : 'opening the database', { dataDir: args.dataDir });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: args.dataDir });
  const gate = new PgliteGate({ db, host: args.host, port: args.port, lockIdleTimeoutMs, connectionsMax, log });
  const address = await gate.start();
  log.info('ready', { url: embeddedDatabaseUrl(address.address, address.port), dataDir: args.dataDir });
  const reason = await untilStopRequested();
  log.info('stopping', { reason });
  try {
    await gate.stop();
    // close() shuts Postgres down cleanly: a checkpoint, so the next start has no WAL to replay.
    await db.close();
  } catch (error) {
    log.error('could not close the database cleanly', errorFields(error));
    return 1;
  } finally {
    rmSync(lockFile, { force: true });
  }
  log.info('stopped');
  return 0;
}

function untilStopRequested(): Promise<string> {
  const parentPid = process.ppid;
  return new Promise((resolve) => {
    const done = (reason: string): void => {
      clearInterval(parentCheck);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(reason);
    };
    const onTerm = (): void => done('SIGTERM');
    const onInt = (): void => done('SIGINT');
    // Left alone after a SIGKILL of the supervisor, it shuts down by itself.
    const parentCheck = setInterval(() => {
      if (process.ppid !== parentPid) done('the supervisor is gone');
    }, parentCheckIntervalMs);
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
}

/**
 * PGlite takes no lock of its own, and two processes on one data directory
 * destroy it; this pid file beside the directory makes the second one fail
 * with a clear message. Returns the lock file's path.
 */
export function takeDataDirLock(dataDir: string): string {
  const lockFile = `${dataDir}.pid`;
  mkdirSync(dirname(lockFile), { recursive: true });
  let holder: number | undefined;
  try {
    holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
  } catch {
    holder = undefined;
  }
  if (holder !== undefined && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new Error(`embedded-postgres: ${dataDir} is in use by process ${holder} (remove ${lockFile} if it is not)`);
  }
  writeFileSync(lockFile, `${process.pid}\n`);
  return lockFile;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
