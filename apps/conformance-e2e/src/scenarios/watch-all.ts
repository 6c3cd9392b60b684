// Every watch scenario group, per spec file; watch-tables.spec.ts checks
// them together with the KV tables of all.ts.
import type { ScenarioGroup } from '../harness/scenario.js';
import { edgeWatch } from './edge-watch.js';
import { watchBatch } from './watch-batch.js';
import { watchCompact } from './watch-compact.js';
import { watchEvents } from './watch-events.js';
import { watchKeys } from './watch-keys.js';
import { watchProgressNotify, watchProgressRequests } from './watch-progress.js';

export const watchGroups: readonly ScenarioGroup[] = [watchKeys, watchEvents, watchProgressRequests];
// Compaction changes what later scenarios can read: servers of their own
// (which also take the long replays, away from the quick scenarios).
export const watchCompactGroups: readonly ScenarioGroup[] = [watchCompact, watchBatch];
// Servers started with a 1 s progress-notify interval.
export const watchNotifyGroups: readonly ScenarioGroup[] = [watchProgressNotify];

// docs/ROBUSTNESS.md's edge values, run by robustness.spec.ts.
export const edgeWatchGroups: readonly ScenarioGroup[] = [edgeWatch];

export const allWatchGroups: readonly ScenarioGroup[] = [...watchGroups, ...watchCompactGroups, ...watchNotifyGroups, ...edgeWatchGroups];
