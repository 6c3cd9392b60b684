// The etcd version eckd reports. kube-apiserver reads Status.version to
// enable watch progress requests (3.4.31+ / 3.5.13+), and eckd behaves as
// 3.6 where versions differ (docs/ETCD-BEHAVIOUR.md §0), so it says 3.6.0.
export const etcdServerVersion = '3.6.0';
/** What etcd's version.Cluster() makes of it: major.minor. */
export const etcdClusterVersion = '3.6';
/** etcd allows a downgrade by exactly one minor version. */
export const downgradeTarget = { major: 3, minor: 5 } as const;
