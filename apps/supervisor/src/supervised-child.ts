// One supervised child process: spawned, its output lines passed on as JSON
// lines naming it (child-output.ts),
// restarted with backoff when it dies, stopped with SIGTERM then SIGKILL.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { BackoffPolicy, BackoffState } from './backoff.js';
import { checkBackoffPolicy, initialBackoffState, nextRestart } from './backoff.js';
import { childOutputLine } from './child-output.js';
import type { OutputStream } from './child-output.js';
import { createLineSplitter } from './line-splitter.js';
import type { Logger } from './log.js';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Says whether an output line announces that this run of the child serves. */
  readonly isReadyLine: (line: string) => boolean;
  /** How long SIGTERM may take before SIGKILL. */
  readonly stopTimeoutMs: number;
}

export interface SupervisedChildOptions {
  readonly spec: ChildSpec;
  readonly backoff: BackoffPolicy;
  /** Receives every output line of the child, as a JSON line naming it. */
  readonly writeLine: (line: string) => void;
  readonly log: Logger;
  /** Told after each exit the supervisor did not ask for. */
  readonly onUnexpectedExit?: (info: ChildExit) => void;
}

export interface ChildExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly uptimeMs: number;
  readonly restartDelayMs: number;
}

type Phase = 'idle' | 'running' | 'waiting' | 'stopping' | 'stopped';

/** A line is "ready" when it is a JSON log object whose msg is "ready". */
export function isJsonReadyLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && (parsed as { msg?: unknown }).msg === 'ready';
  } catch {
    return false;
  }
}

export class SupervisedChild {
  readonly name: string;
  readonly #options: SupervisedChildOptions;
  #phase: Phase = 'idle';
  #child: ChildProcess | undefined;
  #startedAtMs = 0;
  #backoffState: BackoffState = initialBackoffState;
  #restartTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #readyWaiters: Array<() => void> = [];
  #exitWaiters: Array<() => void> = [];
  #spawnCount = 0;

  constructor(options: SupervisedChildOptions) {
    checkBackoffPolicy(options.backoff);
    if (options.spec.name === '') throw new Error('supervisor: a child needs a name');
    this.name = options.spec.name;
    this.#options = options;
  }

  /** How many times the child has been spawned, the first start included. */
  get spawnCount(): number {
    return this.#spawnCount;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get isReady(): boolean {
    return this.#ready;
  }

  start(): void {
    if (this.#phase !== 'idle') throw new Error(`supervisor: ${this.name} was already started`);
    this.#spawn();
  }

  /** Resolves true once the current run says it is ready, false after timeoutMs. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#readyWaiters.push(waiter);
    });
  }

  /** SIGTERM, then SIGKILL after the spec's stopTimeoutMs; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped' || this.#phase === 'idle') {
      this.#phase = 'stopped';
      return;
    }
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (this.#phase === 'waiting' || child === undefined) {
      this.#phase = 'stopped';
      return;
    }
    this.#phase = 'stopping';
    const exited = new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
    this.#signal('SIGTERM');
    const killTimer = setTimeout(() => {
      this.#options.log.warn('child did not stop in time; killing it', { child: this.name, stopTimeoutMs: this.#options.spec.stopTimeoutMs });
      this.#signal('SIGKILL');
    }, this.#options.spec.stopTimeoutMs);
    await exited;
    clearTimeout(killTimer);
  }

  /** SIGKILL now, without waiting; no restart follows. */
  kill(): void {
    clearTimeout(this.#restartTimer);
    if (this.#phase === 'running' || this.#phase === 'stopping') {
      this.#phase = 'stopping';
      this.#signal('SIGKILL');
    } else {
      this.#phase = 'stopped';
    }
  }

  #spawn(): void {
    const { spec } = this.#options;
    this.#phase = 'running';
    this.#ready = false;
    this.#startedAtMs = Date.now();
    this.#spawnCount += 1;
    // Its own process group: a Ctrl-C in the terminal reaches only the
    // supervisor, which then stops the children in order.
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: withoutUndefined(spec.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child = child;
    this.#pipe(child.stdout, 'stdout');
    this.#pipe(child.stderr, 'stderr');
    child.once('error', (error) => {
      this.#options.log.error(`could not start ${spec.command}: ${error.message}`, { child: this.name });
      // 'exit' may not follow a failed spawn; settle it as an exit.
      if (child.pid === undefined) this.#onExit(child, null, null);
    });
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
  }

  #pipe(stream: NodeJS.ReadableStream | null, name: OutputStream): void {
    if (stream === null) return;
    const splitter = createLineSplitter((line) => {
      this.#options.writeLine(childOutputLine(this.name, name, line));
      if (!this.#ready && this.#options.spec.isReadyLine(line)) this.#markReady();
    });
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('end', () => splitter.end());
  }

  #markReady(): void {
    this.#ready = true;
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    this.#ready = false;
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      this.#phase = 'stopped';
      const waiters = this.#exitWaiters;
      this.#exitWaiters = [];
      for (const waiter of waiters) waiter();
      return;
    }
    const uptimeMs = Date.now() - this.#startedAtMs;
    const { state, delayMs } = nextRestart(this.#options.backoff, this.#backoffState, uptimeMs);
    this.#backoffState = state;
    this.#phase = 'waiting';
    const exit: ChildExit = { name: this.name, code, signal, uptimeMs, restartDelayMs: delayMs };
    this.#options.log.warn('child exited; restarting after a delay', { child: this.name, code, signal, uptimeMs, restartDelayMs: delayMs });
    this.#options.onUnexpectedExit?.(exit);
    this.#restartTimer = setTimeout(() => {
      if (this.#phase === 'waiting') this.#spawn();
    }, delayMs);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      // The whole group, so that anything the child started goes with it.
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone: its exit event settles the rest.
      }
    }
  }
}

function withoutUndefined(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
