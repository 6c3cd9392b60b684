// Real etcd (3.4.23 from PATH) as the reference server for differential
// tests, and etcdctl as the reference client.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stoppable } from './dispose.js';
import { freePort, randomHex } from './free-port.js';
import { startProcess } from './process.js';
import type { ProcessHandle } from './process.js';
import { waitUntil } from './wait.js';

export const etcdReadyTimeoutMs = 20_000;
export const etcdctlTimeoutMsDefault = 15_000;

export interface EtcdOptions {
  name?: string;
  /** Extra flags, e.g. `--experimental-watch-progress-notify-interval=100ms`. */
  args?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Binary; default `etcd` from PATH. */
  command?: string;
}

export interface EtcdServer extends Stoppable {
  /** http://127.0.0.1:<client port> */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly name: string;
  readonly dataDir: string;
  readonly process: ProcessHandle;
}

async function etcdHealthy(endpoint: string): Promise<boolean> {
  const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
  const body = (await res.json()) as { health?: unknown };
  return res.ok && body.health === 'true';
}

export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdServer> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const name = opts.name ?? `etcd-${randomHex(3)}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'eckd-etcd-'));
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    `--initial-cluster-token=eckd-test-${randomHex(4)}`,
    '--initial-cluster-state=new',
    '--logger=zap',
    ...(opts.args ?? []),
  ];
  let proc: ProcessHandle | undefined;
  try {
    proc = await startProcess({ name: `etcd:${clientPort}`, command: opts.command ?? 'etcd', args, env: opts.env });
    const started = proc;
    // Stop polling early if etcd dies; it is reported below.
    const healthyOrDead = async () => !started.running || (await etcdHealthy(clientUrl));
    await waitUntil(healthyOrDead, etcdReadyTimeoutMs, `etcd /health on ${clientUrl}`);
    if (!started.running) {
      const s = await started.exited;
      throw new Error(`testing: etcd exited (code ${s.code}, signal ${s.signal}) before it was healthy`);
    }
  } catch (err) {
    const output = proc ? `\n--- etcd output ---\n${proc.output()}` : '';
    await proc?.stop(0);
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${err instanceof Error ? err.message : String(err)}${output}`, { cause: err });
  }
  const handle = proc;
  const stop = async () => {
    await handle.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { endpoint: clientUrl, clientPort, peerPort, name, dataDir, process: handle, stop, [Symbol.asyncDispose]: stop };
}

export interface EtcdctlOptions {
  /** Written to etcdctl's stdin, which is then closed. */
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Binary; default `etcdctl` from PATH. */
  command?: string;
}

export interface EtcdctlResult {
  /** Exit code; null when it was killed (e.g. on timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `etcdctl --endpoints=<endpoints> ...args` with ETCDCTL_API=3. */
export function etcdctl(endpoints: string | readonly string[], args: readonly string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const list = typeof endpoints === 'string' ? endpoints : endpoints.join(',');
  const env: NodeJS.ProcessEnv = { ...process.env, ETCDCTL_API: '3' };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(opts.command ?? 'etcdctl', [`--endpoints=${list}`, ...args], { env, stdio: 'pipe' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => undefined); // etcdctl may exit before reading stdin
  child.stdin.end(opts.input ?? '');
  const timeoutMs = opts.timeoutMs ?? etcdctlTimeoutMsDefault;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`testing: cannot run etcdctl: ${e.message}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      const note = signal === 'SIGKILL' ? `\n[testing] etcdctl killed after ${timeoutMs} ms` : '';
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: stderr + note });
    });
  });
}
