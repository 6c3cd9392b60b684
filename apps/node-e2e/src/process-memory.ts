// Memory of a node's processes, read from /proc (Linux).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** A process's peak resident memory (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `no VmHWM for ${pid}`);
  return Number(kb) / 1024;
}

/** A process's resident memory now (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `no VmRSS for ${pid}`);
  return Number(kb) / 1024;
}
