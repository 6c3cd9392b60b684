// Leases: etcd 3.4.23 and eckd answer the same scenarios.
import { conformanceSuite } from './harness/suite.js';
import { leaseGroups } from './scenarios/all.js';

conformanceSuite('conformance: Lease', leaseGroups);
