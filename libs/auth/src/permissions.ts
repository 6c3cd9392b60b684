// etcd's permission check (server/auth/range_perm_cache.go semantics): a
// user may read (write) a key or range when the union of its roles'
// READ/READWRITE (WRITE/READWRITE) permissions covers it; the root role
// covers everything. A range end of "\0" is open: every key from the start on.
import { AuthError } from './auth-error.js';
import type { AuthPermission, AuthState } from './auth-state.js';
import { hasRootRole } from './auth-state.js';

export type Access = 'READ' | 'WRITE';

/** Half-open interval; end undefined: no end. */
interface Interval {
  start: Buffer;
  end: Buffer | undefined;
}

const zeroByte = Buffer.from([0]);
const isOpenEnded = (end: Buffer | Uint8Array): boolean => end.length === 1 && end[0] === 0;

/** Throws etcd's PermissionDenied unless `user` may `access` [key, rangeEnd) (rangeEnd empty: the key alone). */
export function checkKeyAccess(state: AuthState, user: string, access: Access, key: Uint8Array, rangeEnd?: Uint8Array): void {
  const u = state.users.get(user);
  if (!u) throw new AuthError('PermissionDenied', `user ${user} not found`);
  if (hasRootRole(u)) return;
  const intervals: Interval[] = [];
  for (const roleName of u.roles) {
    const role = state.roles.get(roleName);
    if (!role) continue;
    for (const p of role.permissions) if (grants(p, access)) intervals.push(intervalOf(p.key, p.rangeEnd));
  }
  const k = Buffer.from(key);
  const end = rangeEnd && rangeEnd.length > 0 ? Buffer.from(rangeEnd) : undefined;
  const permitted = end === undefined ? intervals.some((i) => contains(i, k)) : covers(intervals, { start: k, end: isOpenEnded(end) ? undefined : end });
  if (!permitted) throw new AuthError('PermissionDenied');
}

function grants(p: AuthPermission, access: Access): boolean {
  return p.permType === 'READWRITE' || p.permType === access;
}

/** A permission's interval: a single key is [key, key+"\0"). */
function intervalOf(key: Buffer, rangeEnd: Buffer): Interval {
  if (rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, zeroByte]) };
  return { start: key, end: isOpenEnded(rangeEnd) ? undefined : rangeEnd };
}

function contains(i: Interval, key: Buffer): boolean {
  return Buffer.compare(i.start, key) <= 0 && (i.end === undefined || Buffer.compare(key, i.end) < 0);
}

/** Whether the union of `intervals` covers `wanted` entirely (an empty or inverted range is covered by nothing, as in etcd's tree). */
function covers(intervals: Interval[], wanted: Interval): boolean {
  let reached = wanted.start;
  const sorted = [...intervals].sort((a, b) => Buffer.compare(a.start, b.start));
  for (const i of sorted) {
    if (Buffer.compare(i.start, reached) > 0) break;
    if (i.end === undefined) return true;
    if (Buffer.compare(i.end, reached) > 0) reached = i.end;
    if (wanted.end !== undefined && Buffer.compare(reached, wanted.end) >= 0) return true;
  }
  return false;
}
