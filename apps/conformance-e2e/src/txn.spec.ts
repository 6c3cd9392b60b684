// Txn conformance: etcd 3.4.23 and eckd answer the same scenarios.
import { conformanceSuite } from './harness/suite.js';
import { txnGroups } from './scenarios/all.js';

conformanceSuite('conformance: Txn', txnGroups);
