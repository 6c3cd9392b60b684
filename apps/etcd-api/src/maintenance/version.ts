// The etcd version eckd reports is ECKD_EMULATED_ETCD_VERSION (default
// 3.6.0, libs/service-kit versions.ts). kube-apiserver reads Status.version
// to enable watch progress requests (3.4.31+ / 3.5.13+), and eckd behaves
// as 3.6 where versions differ (docs/ETCD-BEHAVIOUR.md §0).

/** What etcd's version.Cluster() makes of a version: major.minor. */
export function clusterVersionOf(etcdVersion: string): string {
  return etcdVersion.split('.').slice(0, 2).join('.');
}
/** etcd allows a downgrade by exactly one minor version. */
export const downgradeTarget = { major: 3, minor: 5 } as const;
