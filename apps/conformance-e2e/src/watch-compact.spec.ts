// Watch and compaction conformance, on servers of their own since
// compaction changes what later scenarios could read.
import { conformanceSuite } from './harness/suite.js';
import { watchCompactGroups } from './scenarios/watch-all.js';

conformanceSuite('conformance: Watch, compaction and long replays', watchCompactGroups);
