// Progress-notify conformance: both servers tick every second (etcd 3.4's
// experimental flag; eckd's frontend takes both names).
import { conformanceSuite } from './harness/suite.js';
import { watchNotifyGroups } from './scenarios/watch-all.js';

conformanceSuite('conformance: Watch progress notifications', watchNotifyGroups, {
  etcdArgs: ['--experimental-watch-progress-notify-interval=1s'],
  eckdFrontendArgs: ['--watch-progress-notify-interval=1s'],
});
