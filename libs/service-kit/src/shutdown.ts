// Graceful shutdown: SIGTERM/SIGINT run the registered steps once, in
// reverse order of registration, then exit. A second signal exits at once.
import type { Logger } from './logger.js';

export interface Shutdown {
  /** Registers a step; steps run last-registered first. */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs the steps (also used when start-up fails) and exits with `code`. */
  shutdown(reason: string, code?: number): Promise<never>;
}

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
  return { onShutdown: (name, step) => void steps.push({ name, step }), shutdown };
}
