// The apps a node deploys, and the port of each one's ops listener
// (`--listen-metrics-urls`: /livez, /readyz, /health, /metrics) in every
// deploy/ recipe. Apart, so a host running them all (systemd) has no clash.
export const deployedApps = ['etcd-api', 'backend', 'persister', 'compactor'] as const;
export type DeployedApp = (typeof deployedApps)[number];

export const opsPorts: Readonly<Record<DeployedApp, number>> = Object.freeze({
  'etcd-api': 2381,
  backend: 2382,
  persister: 2383,
  compactor: 2384,
});

/** etcd's client port, the frontends' in every recipe. */
export const clientPort = 2379;
