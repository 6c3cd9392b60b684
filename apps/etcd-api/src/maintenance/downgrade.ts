// Maintenance.Downgrade's version checks, as etcd 3.6 makes them before it
// looks at the cluster (convertToClusterVersion, DowngradeValidate): the
// target must parse as a semantic version (or major.minor) and be exactly
// one minor version below the cluster's. The node-wide part (is a downgrade
// in progress, enable, cancel) is the backend's.
import { EtcdRpcError } from '../to-grpc-error.js';
import { downgradeTarget } from './version.js';

export type DowngradeAction = 'VALIDATE' | 'ENABLE' | 'CANCEL';

const identifier = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

/** go-semver's NewVersion: MAJOR.MINOR.PATCH[-pre][+meta], each number a Go int64. */
export function parseSemver(raw: string): { major: number; minor: number; patch: number } | undefined {
  let rest = raw;
  const cut = (delim: string): string => {
    const i = rest.indexOf(delim);
    if (i === -1) return '';
    const tail = rest.slice(i + 1);
    rest = rest.slice(0, i);
    return tail;
  };
  const metadata = cut('+');
  const preRelease = cut('-');
  const parts = splitN(rest, '.', 3);
  if (parts.length !== 3) return undefined;
  if ((preRelease !== '' && !identifier.test(preRelease)) || (metadata !== '' && !identifier.test(metadata))) return undefined;
  const numbers = parts.map((p) => (/^[+-]?\d+$/.test(p) ? Number(p) : NaN));
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  const [major, minor, patch] = numbers as [number, number, number];
  return { major, minor, patch };
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** Returns the target as etcd stores it ("3.5.0"), or throws etcd's error. */
export function checkDowngradeTarget(version: string): string {
  const parsed = parseSemver(version) ?? parseSemver(`${version}.0`);
  if (!parsed) throw new EtcdRpcError('WrongDowngradeVersionFormat', version);
  if (parsed.major !== downgradeTarget.major || parsed.minor !== downgradeTarget.minor) throw new EtcdRpcError('InvalidDowngradeTargetVersion', version);
  return `${parsed.major}.${parsed.minor}.0`;
}

export function downgradeActionOf(value: unknown): DowngradeAction {
  if (value === 1 || value === 'ENABLE') return 'ENABLE';
  if (value === 2 || value === 'CANCEL') return 'CANCEL';
  return 'VALIDATE';
}
