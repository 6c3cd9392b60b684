// Compaction and request-size conformance, on servers of their own since
// compaction changes what later scenarios could read.
import { conformanceSuite } from './harness/suite.js';
import { compactGroups } from './scenarios/all.js';

conformanceSuite('conformance: Compact, request size', compactGroups);
