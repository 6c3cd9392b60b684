// Runs one scenario on both servers and judges the two transcripts: equal
// step by step, except steps marked as known differences, where each
// server must give its own documented answer.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { expectProblem, runScenario } from './interpreter.js';
import type { Normalised } from './normalise.js';
import type { Scenario, Step } from './scenario.js';
import type { ServerPair } from './servers.js';

// Failure messages stay readable for 129-op txns and 1.5 MiB values.
const shownCharsMax = 1200;

function show(v: unknown, max = shownCharsMax): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/** The first path where a and b differ, with both values there. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  const bothObjects = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null;
  if (bothObjects && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) return `${path || '.'}: ${a.length} vs ${(b as unknown[]).length} elements`;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      const d = firstDifference(ao[k], bo[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || '.'}: ${show(a, 300)} vs ${show(b, 300)}`;
}

function stepLabel(scenario: Scenario, step: Step, i: number): string {
  return `${scenario.name}, step ${i + 1} ${step.call} ${show(step.req, 300)}`;
}

function judgeStep(scenario: Scenario, i: number, etcd: Normalised, eckd: Normalised): void {
  const step = scenario.steps[i]!;
  const label = stepLabel(scenario, step, i);
  if (step.differs) {
    const etcdProblem = expectProblem(etcd, step.differs.etcd);
    assert.equal(etcdProblem, undefined, `${label}: etcd no longer gives the known-difference answer: ${etcdProblem}`);
    const eckdProblem = expectProblem(eckd, step.differs.eckd);
    assert.equal(eckdProblem, undefined, `${label}: eckd does not give its documented answer (${step.differs.ref}): ${eckdProblem}`);
    return;
  }
  if (step.expect) {
    const problem = expectProblem(etcd, step.expect);
    assert.equal(problem, undefined, `${label}: the scenario's expectation does not hold on etcd: ${problem}`);
  }
  if (!isDeepStrictEqual(eckd, etcd)) {
    const diff = firstDifference(etcd, eckd);
    assert.fail(`${label}\n  first difference (etcd vs eckd) at ${diff}\n  etcd: ${show(etcd)}\n  eckd: ${show(eckd)}`);
  }
}

/** CONFORMANCE_DUMP=1: print both transcripts (for writing and debugging scenarios). */
function dump(scenario: Scenario, etcd: Normalised[], eckd: Normalised[]): void {
  const lines = scenario.steps.map((step, i) => {
    const same = isDeepStrictEqual(etcd[i], eckd[i]);
    const answers = same ? `  both: ${show(etcd[i])}` : `  etcd: ${show(etcd[i])}\n  eckd: ${show(eckd[i])}`;
    return `${stepLabel(scenario, step, i)}\n${answers}`;
  });
  console.log(`--- ${scenario.name}\n${lines.join('\n')}`);
}

export async function checkScenario(servers: ServerPair, scenario: Scenario): Promise<void> {
  const [etcd, eckd] = await Promise.all([runScenario(servers.etcd, scenario), runScenario(servers.eckd, scenario)]);
  if (process.env['CONFORMANCE_DUMP']) dump(scenario, etcd.outcomes, eckd.outcomes);
  if (process.env['CONFORMANCE_DUMP'] && (Object.keys(etcd.leftovers).length > 0 || Object.keys(eckd.leftovers).length > 0)) {
    console.log(`  leftovers etcd: ${show(etcd.leftovers)}\n  leftovers eckd: ${show(eckd.leftovers)}`);
  }
  for (let i = 0; i < scenario.steps.length; i++) judgeStep(scenario, i, etcd.outcomes[i]!, eckd.outcomes[i]!);
  if (!isDeepStrictEqual(eckd.leftovers, etcd.leftovers)) {
    assert.fail(`${scenario.name}: watch responses after the last step differ\n  etcd: ${show(etcd.leftovers)}\n  eckd: ${show(eckd.leftovers)}`);
  }
}
