// Watch conformance: etcd 3.4.23 and eckd answer the same stream scenarios.
import { conformanceSuite } from './harness/suite.js';
import { watchGroups } from './scenarios/watch-all.js';

conformanceSuite('conformance: Watch', watchGroups);
