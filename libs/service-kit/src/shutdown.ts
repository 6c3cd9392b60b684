// Graceful shutdown: SIGTERM/SIGINT run the registered steps once, in
// reverse order of registration, then exit. A second signal exits at once.
// An exception or rejection nobody handled leaves the process in an unknown
// state: it is logged and the process stops the same way, with code 70, so
// its supervisor restarts it from stored state.
import type { Logger } from './logger.js';

export interface Shutdown {
  /** Registers a step; steps run last-registered first. */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs the steps (also used when start-up fails) and exits with `code`. */
  shutdown(reason: string, code?: number): Promise<never>;
}

/** EX_SOFTWARE: an internal error, as the apply loop exits on one. */
const unhandledErrorExitCode = 70;

export function installShutdown(log: Logger, opts: { timeoutMs?: number } = {}): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  let running = false;
  const shutdown = async (reason: string, code = 0): Promise<never> => {
    if (running) process.exit(code);
    running = true;
    log.info('shutting down', { reason });
    const hardStop = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, opts.timeoutMs ?? 10_000);
    hardStop.unref();
    for (const { name, step } of steps.reverse()) {
      try {
        await step();
      } catch (err) {
        log.warn('shutdown step failed', { step: name, err });
      }
    }
    log.info('stopped');
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception', { err });
    void shutdown('uncaught exception', unhandledErrorExitCode);
  });
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection', { err: reason });
    void shutdown('unhandled rejection', unhandledErrorExitCode);
  });
  return { onShutdown: (name, step) => void steps.push({ name, step }), shutdown };
}
