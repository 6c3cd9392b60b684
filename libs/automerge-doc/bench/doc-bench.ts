// Automerge version benchmark for the eckd document shape (one flat map of
// 100k keys, 256 B values), low-level handle only. See
// docs/AUTOMERGE-MEASUREMENTS.md for the commands and the results.
//
//   node --import tsx libs/automerge-doc/bench/doc-bench.ts \
//     [--module 2.2.9=@automerge/automerge] [--module 3.5.0=/tmp/am3/entry.mjs] \
//     [--scenario put1 ...] [--runs 3]
//
// Every (module, scenario, run) is a child process with a time limit, so one
// slow or crashing version cannot stall the whole run; medians are printed as
// a markdown table.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as Automerge from '@automerge/automerge';
import { scenarios } from './bench-scenarios.js';
import type { Figures } from './bench-scenarios.js';

const childTimeoutMs = 180_000;
const self = fileURLToPath(import.meta.url);

async function runChild(moduleSpec: string, scenario: string): Promise<void> {
  const am = (await import(moduleSpec)) as typeof Automerge;
  const run = scenarios[scenario];
  if (!run) throw new Error(`bench: unknown scenario ${scenario}`);
  process.stdout.write(`${JSON.stringify(run(am))}\n`);
}

function spawnRun(moduleSpec: string, scenario: string): Figures | string {
  const args = ['--expose-gc', '--import', 'tsx', self, '--child', scenario, '--module', moduleSpec];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: childTimeoutMs });
  if (r.error) return `failed: ${r.error.message}`;
  if (r.status !== 0) return `failed: exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Figures;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** Runs one scenario `runs` times and returns one table cell per figure. */
function measure(moduleSpec: string, scenario: string, runs: number): Record<string, string> {
  const results: Figures[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnRun(moduleSpec, scenario);
    if (typeof r === 'string') return { error: r };
    results.push(r);
    process.stderr.write(`  ${moduleSpec} ${scenario} run ${i + 1}: ${JSON.stringify(r)}\n`);
  }
  const cells: Record<string, string> = {};
  for (const name of Object.keys(results[0] ?? {})) {
    const xs = results.map((r) => r[name] ?? NaN);
    cells[name] = runs > 1 ? `${fmt(median(xs))} (${xs.map(fmt).join(' / ')})` : fmt(xs[0] ?? NaN);
  }
  return cells;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      module: { type: 'string', multiple: true },
      scenario: { type: 'string', multiple: true },
      runs: { type: 'string', default: '3' },
    },
  });
  // `label=specifier` (the label names the version in the table).
  const modules = (values.module ?? ['@automerge/automerge']).map((m) => {
    const eq = m.indexOf('=');
    return eq < 0 ? { label: m, spec: m } : { label: m.slice(0, eq), spec: m.slice(eq + 1) };
  });
  if (values.child) return runChild(modules[0]!.spec, values.child);
  const names = values.scenario ?? Object.keys(scenarios);
  const runs = Number(values.runs);
  console.log('| module | scenario | figure | median (runs) |\n|---|---|---|---|');
  for (const m of modules) {
    for (const s of names) {
      for (const [figure, cell] of Object.entries(measure(m.spec, s, runs))) {
        console.log(`| ${m.label} | ${s} | ${figure} | ${cell} |`);
      }
    }
  }
}

await main();
