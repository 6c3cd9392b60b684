// What a process has used so far, read from /proc: CPU time (user + system,
// /proc/<pid>/stat) and read/write system calls (/proc/<pid>/io), so a run
// can say what each server process spent per request.
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every mainstream architecture). */
const ticksPerSecond = 100;

export interface ProcessUsage {
  cpuMicros: number;
  /** read and write system calls (each socket read or write is one) */
  readCalls: number;
  writeCalls: number;
}

/** What `pid` has used so far; undefined when it is gone or there is no /proc. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const count = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { cpuMicros: (ticks * 1e6) / ticksPerSecond, readCalls: count('syscr'), writeCalls: count('syscw') };
  } catch {
    return undefined;
  }
}

/** What each named process uses while `run` runs. */
export async function measureUsage<T>(pids: Record<string, number>, run: () => Promise<T>): Promise<{ result: T; usage: Record<string, ProcessUsage> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid)]));
  const result = await run();
  const usage: Record<string, ProcessUsage> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const start = before[name];
    const end = processUsage(pid);
    if (start !== undefined && end !== undefined) {
      usage[name] = { cpuMicros: end.cpuMicros - start.cpuMicros, readCalls: end.readCalls - start.readCalls, writeCalls: end.writeCalls - start.writeCalls };
    }
  }
  return { result, usage };
}
