// Put, DeleteRange, Range at a revision and response headers: etcd 3.4.23
// and eckd answer the same scenarios.
import { conformanceSuite } from './harness/suite.js';
import { writeGroups } from './scenarios/all.js';

conformanceSuite('conformance: Put, DeleteRange, revisions, headers', writeGroups);
