// The persistence writer: stores every backend batch in Postgres and acks;
// serves the recovery stream.
import { startTelemetry } from '@eckd/telemetry';
const telemetry = startTelemetry({ serviceName: 'eckd-persister' });

import { codecs, nodeSubjects } from '@eckd/change-codec';
import type { WireError } from '@eckd/change-codec';
import { NatsMessenger, readFragmentLimits, connectNats, createLogger, installShutdown, readAppCommandLine, redactUrl, startAppOps } from '@eckd/service-kit';
import type { Message } from '@eckd/service-kit';
import { NodeLockHeldError, createPool, migrate } from '@eckd/storage';
import { createAppendHandler } from './append.handler.js';
import { createLoadHandler } from './load.handler.js';
import { persisterFlags, readPersisterConfig } from './config.js';
import { NodeLockKeeper } from './node-lock-keeper.js';
import { createBackupHandler } from './backup.handler.js';
import { createStorageHandler } from './storage.handler.js';

const { flags, logLevel } = readAppCommandLine('persister', process.argv.slice(2), process.env, persisterFlags);
const log = createLogger('persister', { level: logLevel });
const { onShutdown, shutdown } = installShutdown(log);
onShutdown('telemetry', () => telemetry.shutdown());

try {
  const ops = await startAppOps(flags, log);
  onShutdown('ops listener', () => ops.close());
  const config = readPersisterConfig(flags);
  log.info('config', { ...config, databaseUrl: redactUrl(config.databaseUrl) });
  const subjects = nodeSubjects({ prefix: config.subjectPrefix, node: config.nodeName });

  // One persister per node (ARCHITECTURE §6a): the loser exits and its
  // supervisor starts it again later, which takes over once the holder is gone.
  const lock = await NodeLockKeeper.take({
    databaseUrl: config.databaseUrl,
    nodeName: config.nodeName,
    waitMs: config.lockWaitMs,
    log,
    exit: (reason) => void shutdown(reason, 1),
  });
  onShutdown('node lock', () => lock.release());
  log.info('node lock held', { node: config.nodeName });

  const pool = createPool(config.databaseUrl, { max: config.poolSize, applicationName: 'eckd-persister', statementTimeoutMs: config.statementTimeoutMs });
  onShutdown('postgres', () => pool.end());
  // Appends have a connection of their own (one append runs at a time, in arrival order), so a
  // Snapshot or Defragment holding the other connections cannot starve writes.
  const appendPool = createPool(config.databaseUrl, { max: 1, applicationName: 'eckd-persister-append', statementTimeoutMs: config.appendStatementTimeoutMs });
  onShutdown('postgres appends', () => appendPool.end());
  // An idle client losing its connection is not fatal: the pool replaces it
  // and the next append retries.
  for (const p of [pool, appendPool]) p.on('error', (err) => log.warn('postgres connection lost', { err }));
  const applied = await migrate(pool);
  log.info('schema ready', { appliedMigrations: applied });

  const nc = await connectNats(config.nats, `eckd-persister-${config.nodeName}`, log);
  onShutdown('nats', () => nc.drain());

  const messenger = new NatsMessenger(nc, { log, fragments: readFragmentLimits(process.env) });
  const append = createAppendHandler(appendPool, log);
  const load = createLoadHandler(messenger, pool, config.loadChunkBytes, log);
  // One at a time, in arrival order: a chain of promises per subject.
  let appendChain = Promise.resolve();
  // Refused at once while the node lock is being taken again: the backend retries.
  const unlocked: WireError = { name: 'Unknown', message: 'persister: not holding the node lock' };
  const refuseAppend = (msg: Message) => msg.respond(codecs.appendReply.encode({ durable_revision: 0, error: unlocked }));
  const refuseLoad = (msg: Message) =>
    msg.respond(codecs.loadChunk.encode({ index: 0, done: true, changes: [], patch_batches: [], compacted: false, compact_revision: 0, error: unlocked }));
  messenger.subscribe(subjects.append, (msg) => void (appendChain = appendChain.then(() => (lock.held ? append(msg) : refuseAppend(msg)))));
  messenger.subscribe(subjects.load, (msg) => (lock.held ? load(msg) : refuseLoad(msg)));
  // etcd's Maintenance service: sizes, alarms, defragment (storage) and Snapshot (backup).
  const storage = createStorageHandler(pool, log);
  messenger.subscribe(subjects.storage, storage);
  const backup = createBackupHandler(messenger, pool, { chunkBytes: config.loadChunkBytes, sessionsMax: config.backupSessionsMax, idleMs: config.backupIdleMs }, log);
  messenger.subscribe(subjects.backup, backup);
  // Ready when Postgres answers and the node lock is held (docs/ARCHITECTURE.md §9).
  ops.serve({ readyz: { postgres: () => pool.query('SELECT 1').then(() => undefined), node_lock: () => (lock.held ? Promise.resolve() : Promise.reject(new Error('node lock not held'))) } });
  await nc.flush();
  log.info('ready', { ops: ops.urls, append: subjects.append, load: subjects.load });
} catch (err) {
  if (err instanceof NodeLockHeldError) log.error(err.message.replace(/^storage: /, ''), { err });
  else log.error('start-up failed', { err });
  await shutdown('start-up failed', 1);
}
