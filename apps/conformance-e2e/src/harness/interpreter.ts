// Runs a scenario's steps in order against one server and records the
// normalised outcome of each. The base revision is read first, so that
// `{ $rev: n }` and every revision in the answers are relative to it.
import { rpcErrors } from '@eckd/etcd-proto';
import { encodeRequest } from './encode.js';
import { normaliseOutcome } from './normalise.js';
import type { Normalised } from './normalise.js';
import { callUnary } from './rpc.js';
import type { Expect, Scenario } from './scenario.js';
import type { Target } from './servers.js';
import { WatchSession, watchStepRequestOf } from './watch-stream.js';

const kvMethods = {
  range: 'Range',
  put: 'Put',
  deleteRange: 'DeleteRange',
  txn: 'Txn',
  compact: 'Compact',
} as const;
const leaseMethods = {
  leaseGrant: 'LeaseGrant',
  leaseRevoke: 'LeaseRevoke',
  leaseTimeToLive: 'LeaseTimeToLive',
  leaseLeases: 'LeaseLeases',
} as const;

// A key no scenario writes: reading it costs nothing and returns the revision.
const baseProbeKey = Buffer.from('conformance-base-probe');

export interface Transcript {
  base: number;
  outcomes: Normalised[];
  /** Watch responses no step took, per stream, read after the last step (empty when none). */
  leftovers: Record<string, unknown[]>;
}

async function baseRevision(target: Target): Promise<number> {
  const probe = await callUnary(target.kv, 'Range', { key: baseProbeKey });
  if ('error' in probe) throw new Error(`conformance: ${target.name}: reading the base revision failed: ${probe.error.details}`);
  const header = probe.response['header'] as { revision?: string } | null;
  return Number(header?.revision ?? 0);
}

export async function runScenario(target: Target, scenario: Scenario): Promise<Transcript> {
  const base = await baseRevision(target);
  const outcomes: Normalised[] = [];
  const watches = new WatchSession(target.watch);
  let leftovers: Record<string, unknown[]> = {};
  try {
    for (const step of scenario.steps) {
      if (step.call === 'watch') {
        outcomes.push(await watches.step(watchStepRequestOf(step.req), base));
        continue;
      }
      if (step.call === 'sleep') {
        // Lease expiry: both servers get the same wall-clock time.
        await new Promise((r) => setTimeout(r, Number(step.req['ms'] ?? 0)));
        outcomes.push({ response: {} } as Normalised);
        continue;
      }
      const outcome =
        step.call in leaseMethods
          ? await callUnary(target.lease, leaseMethods[step.call as keyof typeof leaseMethods], encodeRequest(step.req, base))
          : await callUnary(target.kv, kvMethods[step.call as keyof typeof kvMethods], encodeRequest(step.req, base));
      if ('response' in outcome) for (const field of step.ignore ?? []) delete outcome.response[field];
      outcomes.push(normaliseOutcome(outcome, base, step.ties));
    }
  } finally {
    leftovers = await watches.finish(base);
  }
  return { base, outcomes, leftovers };
}

function subsetProblem(actual: unknown, expected: unknown, path: string): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected ${expected.length} elements, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const p = subsetProblem(actual[i], expected[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const p = subsetProblem((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (p) return p;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** Why `outcome` does not satisfy `expect`, or undefined when it does. */
export function expectProblem(outcome: Normalised, expect: Expect): string | undefined {
  if ('error' in expect) {
    const want = typeof expect.error === 'string' ? rpcErrors[expect.error] : { code: expect.error.code, message: expect.error.details };
    if (!('error' in outcome)) return `expected error ${want.code} "${want.message}", got a response`;
    const { code, details } = outcome.error;
    return code === want.code && details === want.message ? undefined : `expected error ${want.code} "${want.message}", got ${code} "${details}"`;
  }
  if ('error' in outcome) return `expected a response, got error ${outcome.error.code} "${outcome.error.details}"`;
  return subsetProblem(outcome.response, expect.ok, 'response');
}
