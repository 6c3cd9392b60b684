// Starts a child process, captures its output line by line (bounded), and
// knows when it is ready. Every launcher in this lib is built on it, so a
// failure to start always reports what the process printed.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Stoppable } from './dispose.js';
import { LineBuffer, lineSplitter } from './line-buffer.js';
import { sleep } from './wait.js';

export const readyTimeoutMsDefault = 20_000;
export const waitForLineTimeoutMsDefault = 10_000;
export const stopGraceMsDefault = 5_000;
// After 'exit', how long to wait for the rest of the output to arrive.
const outputDrainMs = 500;

export interface ProcessSpec {
  name: string;
  command: string;
  args?: readonly string[];
  /** Merged over the parent's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** When given, start (and restart) resolve only once a line matches. */
  readyLine?: (line: string) => boolean;
  readyTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessHandle extends Stoppable {
  readonly name: string;
  /** Pid of the current incarnation (changes on restart). */
  readonly pid: number;
  /** Captured stdout and stderr lines, oldest first, the last `linesKeptMax`. */
  readonly lines: readonly string[];
  /** Lines ever captured; pass it to waitForLine to ignore older lines. */
  readonly lineCount: number;
  readonly running: boolean;
  /** Settles when the current incarnation exits (its output drained). */
  readonly exited: Promise<ExitStatus>;
  /** Resolves with the first line numbered `since` or later that matches; rejects on exit or timeout. */
  waitForLine(pred: (line: string) => boolean, timeoutMs?: number, since?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  /** Stops the process if it runs, then starts it again with the same spec and waits until ready. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last captured lines as one string. */
  output(): string;
}

// Children still running when the test process exits are killed, so a
// crashed test file cannot leak servers.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
}

interface Incarnation {
  child: ChildProcess;
  /** Settles once the OS has started the process; rejects if it could not. */
  spawned: Promise<void>;
  exited: Promise<ExitStatus>;
  running: boolean;
}

function spawnIncarnation(spec: ProcessSpec, buffer: LineBuffer): Incarnation {
  const verbose = Boolean(process.env['ECKD_TEST_VERBOSE']);
  const onLine = (line: string) => {
    buffer.push(line);
    if (verbose) process.stderr.write(`[${spec.name}] ${line}\n`);
  };
  const child = spawn(spec.command, [...(spec.args ?? [])], {
    cwd: spec.cwd,
    env: mergeEnv(spec.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const drained = [child.stdout, child.stderr].map((stream) => {
    const split = lineSplitter(onLine);
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => split.write(chunk));
    return new Promise<void>((resolve) => {
      stream?.once('close', () => {
        split.end();
        resolve();
      });
    });
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`testing: failed to spawn ${spec.name} (${spec.command}): ${err.message}`)));
  });
  spawned.catch(() => undefined); // observed by awaitReady
  const incarnation: Incarnation = { child, spawned, running: true, exited: Promise.resolve({ code: null, signal: null }) };
  incarnation.exited = new Promise<ExitStatus>((resolve) => {
    const finish = (status: ExitStatus) => {
      liveChildren.delete(child);
      void Promise.race([Promise.all(drained), sleep(outputDrainMs)]).then(() => {
        incarnation.running = false;
        resolve(status);
      });
    };
    child.once('exit', (code, signal) => finish({ code, signal }));
    child.once('error', (err) => {
      // Spawn failures (ENOENT, EACCES) emit 'error' and no 'exit'.
      if (child.pid !== undefined) return;
      onLine(`[testing] failed to spawn ${spec.command}: ${err.message}`);
      finish({ code: null, signal: null });
    });
  });
  return incarnation;
}

function mergeEnv(env: ProcessSpec['env']): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env ?? {})) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** Starts `spec` and, if it has a readyLine, waits until the process prints it. */
export async function startProcess(spec: ProcessSpec): Promise<ProcessHandle> {
  const buffer = new LineBuffer();
  let current = spawnIncarnation(spec, buffer);

  const waitForLine = async (pred: (line: string) => boolean, timeoutMs = waitForLineTimeoutMsDefault, since = 0) => {
    const seen = buffer.find(pred, since);
    if (seen !== undefined) return seen;
    const { promise, cancel } = buffer.next(pred);
    const timer = setTimeout(
      () => cancel(new Error(`testing: ${spec.name}: no matching line within ${timeoutMs} ms\n${outputBlock()}`)),
      timeoutMs,
    );
    const watched = current;
    void watched.exited.then((status) =>
      cancel(new Error(`testing: ${spec.name} exited (${describeExit(status)}) before a matching line\n${outputBlock()}`)),
    );
    try {
      return await promise;
    } finally {
      clearTimeout(timer);
    }
  };

  const outputBlock = () => `--- output of ${spec.name} (last lines) ---\n${buffer.tail()}\n--- end of output ---`;

  const stop = async (graceMs = stopGraceMsDefault) => {
    const inc = current;
    if (!inc.running) return;
    inc.child.kill('SIGTERM');
    const timer = setTimeout(() => inc.child.kill('SIGKILL'), graceMs);
    try {
      await inc.exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const awaitReady = async (since: number) => {
    await current.spawned;
    if (!spec.readyLine) return;
    const timeoutMs = spec.readyTimeoutMs ?? readyTimeoutMsDefault;
    try {
      await waitForLine(spec.readyLine, timeoutMs, since);
    } catch (err) {
      await stop(0);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`testing: ${spec.name} did not become ready: ${message}`, { cause: err });
    }
  };

  const handle: ProcessHandle = {
    name: spec.name,
    get pid() {
      return current.child.pid ?? -1;
    },
    get lines() {
      return buffer.lines;
    },
    get lineCount() {
      return buffer.count;
    },
    get running() {
      return current.running;
    },
    get exited() {
      return current.exited;
    },
    waitForLine,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (current.running) current.child.kill(signal);
    },
    async restart() {
      await stop();
      const since = buffer.count;
      current = spawnIncarnation(spec, buffer);
      await awaitReady(since);
    },
    stop,
    output: () => buffer.tail(Infinity),
    [Symbol.asyncDispose]: () => stop(),
  };
  await awaitReady(0);
  return handle;
}
