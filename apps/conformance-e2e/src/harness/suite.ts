// Registers scenario groups as node:test tests on one pair of servers
// (started once per spec file). Scenarios run one after another, in table
// order: they share the servers, and some (compaction) affect later ones.
import { after, before, describe, test } from 'node:test';
import { checkScenario } from './compare.js';
import type { ScenarioGroup } from './scenario.js';
import { startServers } from './servers.js';
import type { ServerOptions, ServerPair } from './servers.js';

export const serversStartTimeoutMs = 90_000;
export const scenarioTimeoutMs = 30_000;

export function conformanceSuite(title: string, groups: readonly ScenarioGroup[], serverOptions: ServerOptions = {}): void {
  void describe(title, () => {
    let servers: ServerPair | undefined;
    before(async () => {
      servers = await startServers(serverOptions);
    }, { timeout: serversStartTimeoutMs });
    after(async () => {
      await servers?.stop();
    });
    for (const group of groups) {
      void describe(group.area, () => {
        for (const scenario of group.scenarios) {
          const todo = scenario.todo ?? (scenario.mismatch ? `open eckd mismatch: ${scenario.mismatch}` : undefined);
          const opts = { timeout: scenarioTimeoutMs, ...(todo ? { todo } : {}) };
          void test(scenario.name, opts, async () => {
            if (!servers) throw new Error('conformance: the servers did not start');
            await checkScenario(servers, scenario);
          });
        }
      });
    }
  });
}
