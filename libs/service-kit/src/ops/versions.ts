// eckd's own version and the etcd version it answers as (Maintenance
// Status.version, /version, `--version`): one setting,
// ECKD_EMULATED_ETCD_VERSION, default 3.6.0 (docs/ETCD-BEHAVIOUR.md §0: eckd
// behaves as 3.6 where versions differ).
import { ConfigError } from '../config.js';

/** The repository's version (package.json; version.spec.ts keeps them equal). */
export const eckdVersion = '0.1.0';
export const emulatedEtcdVersionDefault = '3.6.0';

/** etcd 3.6's /version JSON (api/version.Versions). */
export interface EtcdVersions {
  readonly etcdserver: string;
  readonly etcdcluster: string;
  readonly storage: string;
}

/** @throws ConfigError unless the value is a 3.x.y version. */
export function readEmulatedEtcdVersion(env: Readonly<Record<string, string | undefined>>): string {
  const raw = env['ECKD_EMULATED_ETCD_VERSION']?.trim();
  if (raw === undefined || raw === '') return emulatedEtcdVersionDefault;
  if (!/^3\.\d+\.\d+$/.test(raw)) throw new ConfigError(`ECKD_EMULATED_ETCD_VERSION must be an etcd v3 version like 3.6.0, got "${raw}"`);
  return raw;
}

/** What etcd's /version answers: the cluster and storage versions are major.minor.0. */
export function etcdVersions(emulated: string): EtcdVersions {
  const [major, minor] = emulated.split('.');
  const cluster = `${major}.${minor}.0`;
  return Object.freeze({ etcdserver: emulated, etcdcluster: cluster, storage: cluster });
}

/** etcd's `--version` text, with eckd's version first. */
export function versionText(app: string, emulated: string): string {
  return [`eckd ${app} Version: ${eckdVersion}`, `etcd Version: ${emulated} (emulated)`, `Node Version: ${process.version}`, `OS/Arch: ${process.platform}/${process.arch}`].join('\n') + '\n';
}
