// The compaction worker: periodically, and on request, folds the stored
// Automerge changes into a snapshot of the whole document and prunes the
// revision log below etcd's compacted revision (see compaction.ts).
import { startTelemetry } from '@eckd/telemetry';
const telemetry = startTelemetry({ serviceName: 'eckd-compactor' });

import { nodeSubjects } from '@eckd/change-codec';
import { NatsMessenger, readFragmentLimits, connectNats, createLogger, installShutdown, readAppCommandLine, redactUrl, startAppOps } from '@eckd/service-kit';
import { createPool, migrate } from '@eckd/storage';
import { CompactorService } from './compactor-service.js';
import { compactorFlags, readCompactorConfig } from './config.js';
import { createRunHandler } from './run.handler.js';

const { flags, logLevel } = readAppCommandLine('compactor', process.argv.slice(2), process.env, compactorFlags);
const log = createLogger('compactor', { level: logLevel });
const { onShutdown, shutdown } = installShutdown(log);
onShutdown('telemetry', () => telemetry.shutdown());

try {
  const ops = await startAppOps(flags, log);
  onShutdown('ops listener', () => ops.close());
  const config = readCompactorConfig(flags);
  log.info('config', { ...config, databaseUrl: redactUrl(config.databaseUrl) });
  const subjects = nodeSubjects({ prefix: config.subjectPrefix, node: config.nodeName });

  // One connection holds the run lock, the others read.
  const pool = createPool(config.databaseUrl, { max: 3, applicationName: 'eckd-compactor' });
  onShutdown('postgres', () => pool.end());
  pool.on('error', (err) => log.warn('postgres connection lost', { err }));
  const applied = await migrate(pool);
  log.info('schema ready', { appliedMigrations: applied });

  const nc = await connectNats(config.nats, `eckd-compactor-${config.nodeName}`, log);
  onShutdown('nats', () => nc.drain());
  const messenger = new NatsMessenger(nc, { log, fragments: readFragmentLimits(process.env) });

  const service = new CompactorService(pool, { ...config, log });
  onShutdown('compactions', () => service.stop());
  const run = createRunHandler(() => service.runNow(), log);
  // Several compactors of a node may run: a requested run goes to one of them.
  messenger.subscribe(subjects.compactorRun, run, { queue: 'compactor' });
  service.start();
  // Ready when its database and NATS answer (docs/ARCHITECTURE.md §9).
  ops.serve({ readyz: { postgres: () => pool.query('SELECT 1').then(() => undefined), nats: () => nc.flush() } });
  await nc.flush();
  log.info('ready', { ops: ops.urls, run: subjects.compactorRun, intervalMs: config.intervalMs, minChanges: config.minChanges });
} catch (err) {
  log.error('start-up failed', { err });
  await shutdown('start-up failed', 1);
}
