// Edge values of docs/ROBUSTNESS.md's catalogue: etcd 3.4.23 and eckd answer
// the same scenarios. Servers of their own; the compaction edges come last,
// since they change what later scenarios can read.
import { conformanceSuite } from './harness/suite.js';
import { edgeCompactGroups, edgeGroups } from './scenarios/all.js';
import { edgeWatchGroups } from './scenarios/watch-all.js';

conformanceSuite('conformance: edge values', [...edgeGroups, ...edgeWatchGroups, ...edgeCompactGroups]);
