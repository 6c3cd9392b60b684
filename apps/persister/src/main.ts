// The persistence writer: stores every backend batch in Postgres and acks;
// serves the recovery stream.
import { startTelemetry } from '@eckd/telemetry';
const telemetry = startTelemetry({ serviceName: 'eckd-persister' });

import { nodeSubjects } from '@eckd/change-codec';
import { NatsMessenger, readFragmentLimits, connectNats, createLogger, installShutdown, redactUrl } from '@eckd/service-kit';
import { createPool, migrate } from '@eckd/storage';
import { createAppendHandler } from './append.handler.js';
import { createLoadHandler } from './load.handler.js';
import { readPersisterConfig } from './config.js';
import { createBackupHandler } from './backup.handler.js';
import { createStorageHandler } from './storage.handler.js';

const log = createLogger('persister');
const { onShutdown, shutdown } = installShutdown(log);
onShutdown('telemetry', () => telemetry.shutdown());

try {
  const config = readPersisterConfig(process.env);
  log.info('config', { ...config, databaseUrl: redactUrl(config.databaseUrl) });
  const subjects = nodeSubjects({ prefix: config.subjectPrefix, node: config.nodeName });

  const pool = createPool(config.databaseUrl, { max: config.poolSize, applicationName: 'eckd-persister', statementTimeoutMs: config.statementTimeoutMs });
  onShutdown('postgres', () => pool.end());
  // Appends have a connection of their own (one append runs at a time), so a
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
  messenger.subscribe(subjects.append, (msg) => void (appendChain = appendChain.then(() => append(msg))));
  messenger.subscribe(subjects.load, load);
  // etcd's Maintenance service: sizes, alarms, defragment (storage) and Snapshot (backup).
  const storage = createStorageHandler(pool, log);
  messenger.subscribe(subjects.storage, (msg) => void storage(msg));
  const backup = createBackupHandler(messenger, pool, { chunkBytes: config.loadChunkBytes, sessionsMax: config.backupSessionsMax, idleMs: config.backupIdleMs }, log);
  messenger.subscribe(subjects.backup, (msg) => void backup(msg));
  await nc.flush();
  log.info('ready', { append: subjects.append, load: subjects.load });
} catch (err) {
  log.error('start-up failed', { err });
  await shutdown('start-up failed', 1);
}
