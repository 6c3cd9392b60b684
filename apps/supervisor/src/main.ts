// `npm start`: runs one whole eckd node (NATS and Postgres when none is
// given, persister, compactor, backend, etcd-api frontends) as supervised
// children; with ECKD_NODES=N, N such nodes as a local cluster.
// `main.js embedded-postgres …` is the embedded database child itself.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBackoffPolicy } from './backoff.js';
import { ClusterRunner } from './cluster-runner.js';
import { ConfigError, describeConfig, parseConfig } from './config.js';
import { embeddedPostgresCommand, parseEmbeddedPostgresArgs, runEmbeddedPostgres } from './embedded-postgres.js';
import { createLogger, errorFields } from './log.js';
import { NatsUnavailableError, findExecutable } from './nats.js';
import { StartAbortedError } from './node-runner.js';

const exitConfigError = 2;
const exitStartFailed = 1;
const exitKilled = 130;

const writeLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
// With `npm start | tee`, Ctrl-C ends tee first; output is then lost, but the
// supervisor must still stop the node in order rather than die on EPIPE.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

async function runSupervisor(argv: readonly string[]): Promise<number> {
  // dist/main.js and src/main.ts both sit three levels below the repo root.
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const log = createLogger('supervisor', writeLine);
  let config;
  try {
    config = parseConfig(process.env, repoRoot, argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error(error.message, { see: 'docs/EMBEDDED-SERVICES.md' });
    return exitConfigError;
  }
  log.info('config', { config: describeConfig(config) });
  const runner = new ClusterRunner({
    config,
    log,
    writeLine,
    backoff: defaultBackoffPolicy,
    self: { command: process.execPath, args: [...process.execArgv, process.argv[1]!] },
    env: process.env,
    natsBinary: findExecutable('nats-server', process.env['PATH']),
  });
  // Whatever ends this process, no child is left behind if it can be helped.
  process.on('exit', () => runner.killAll());
  const stopped = onStopSignals(log, () => runner.stop(), () => runner.killAll());
  try {
    await runner.start();
  } catch (error) {
    if (error instanceof StartAbortedError) return await stopped;
    if (error instanceof NatsUnavailableError) log.error(error.message);
    else log.error('start-up failed; stopping', errorFields(error));
    await runner.stop();
    return exitStartFailed;
  }
  return await stopped;
}

/** First SIGINT/SIGTERM: ordered stop. Second: kill everything. Resolves with the exit code. */
function onStopSignals(log: ReturnType<typeof createLogger>, stop: () => Promise<void>, kill: () => void): Promise<number> {
  return new Promise((resolveExit) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        log.warn('second signal: killing every child', { signal });
        kill();
        resolveExit(exitKilled);
        return;
      }
      log.info('stopping the node (signal again to kill)', { signal });
      stop().then(
        () => {
          log.info('stopped');
          resolveExit(0);
        },
        (error: unknown) => {
          log.error('stop failed', errorFields(error));
          resolveExit(exitStartFailed);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function runEmbeddedPostgresCommand(argv: readonly string[]): Promise<number> {
  const log = createLogger('embedded-postgres', writeLine);
  try {
    return await runEmbeddedPostgres(parseEmbeddedPostgresArgs(argv), log);
  } catch (error) {
    log.error('embedded Postgres failed', errorFields(error));
    return exitStartFailed;
  }
}

const [command, ...rest] = process.argv.slice(2);
const exitCode = command === embeddedPostgresCommand ? await runEmbeddedPostgresCommand(rest) : await runSupervisor(process.argv.slice(2));
process.exit(exitCode);
