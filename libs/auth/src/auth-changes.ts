// etcd's auth store operations (etcd server/auth/store.go semantics, errors
// and revision rule), applied to an AuthState in place. Each returns the
// records it touched, which the backend writes into the document.
import type { AuthChange } from '@eckd/change-codec';
import { AuthError } from './auth-error.js';
import type { AuthPermission, AuthState, PermType } from './auth-state.js';
import { rootRole, rootUser, hasRootRole } from './auth-state.js';
import { metaRecordKey, roleRecordKey, userRecordKey } from './auth-records.js';

const permTypes: readonly PermType[] = ['READ', 'WRITE', 'READWRITE'];

/** Applies one change; throws AuthError (and changes nothing) when etcd refuses it. Returns the touched record keys. */
export function applyAuthChange(state: AuthState, change: AuthChange): string[] {
  const touched = applyOne(state, change);
  // Every change but AuthEnable (and the no-ops) moves the revision, as etcd's commitRevision.
  if (touched.length > 0 && change.op !== 'auth_enable') {
    state.revision++;
    touched.push(metaRecordKey);
  }
  return [...new Set(touched)];
}

function applyOne(state: AuthState, change: AuthChange): string[] {
  switch (change.op) {
    case 'auth_enable': {
      if (state.enabled) return [];
      const root = state.users.get(rootUser);
      if (!root) throw new AuthError('RootUserNotExist');
      if (!hasRootRole(root)) throw new AuthError('RootRoleNotExist');
      state.enabled = true;
      return [metaRecordKey];
    }
    case 'auth_disable': {
      if (!state.enabled) return [];
      state.enabled = false;
      state.tokenEpoch++;
      return [metaRecordKey];
    }
    case 'user_add': {
      const r = change.user_add ?? {};
      const name = r.name ?? '';
      if (name === '') throw new AuthError('UserEmpty');
      if (state.users.has(name)) throw new AuthError('UserAlreadyExist');
      const noPassword = r.options?.no_password === true;
      state.users.set(name, { name, password: noPassword ? '' : hashOf(r.hashedPassword), roles: [], noPassword });
      return [userRecordKey(name)];
    }
    case 'user_delete': {
      const name = change.user_delete?.name ?? '';
      if (state.enabled && name === rootUser) throw new AuthError('InvalidAuthMgmt', "cannot delete 'root' user");
      if (!state.users.delete(name)) throw new AuthError('UserNotFound');
      return [userRecordKey(name)];
    }
    case 'user_change_password': {
      const r = change.user_change_password ?? {};
      const user = state.users.get(r.name ?? '');
      if (!user) throw new AuthError('UserNotFound');
      if (!user.noPassword) user.password = hashOf(r.hashedPassword);
      return [userRecordKey(user.name)];
    }
    case 'user_grant_role': {
      const r = change.user_grant_role ?? {};
      const user = state.users.get(r.user ?? '');
      if (!user) throw new AuthError('UserNotFound');
      const role = r.role ?? '';
      if (role !== rootRole && !state.roles.has(role)) throw new AuthError('RoleNotFound');
      if (user.roles.includes(role)) return [];
      user.roles = [...user.roles, role].sort();
      return [userRecordKey(user.name)];
    }
    case 'user_revoke_role': {
      const r = change.user_revoke_role ?? {};
      if (state.enabled && r.name === rootUser && r.role === rootRole) throw new AuthError('InvalidAuthMgmt', "'root' user cannot revoke 'root' role");
      const user = state.users.get(r.name ?? '');
      if (!user) throw new AuthError('UserNotFound');
      if (!user.roles.includes(r.role ?? '')) throw new AuthError('RoleNotGranted');
      user.roles = user.roles.filter((role) => role !== r.role);
      return [userRecordKey(user.name)];
    }
    case 'role_add': {
      const name = change.role_add?.name ?? '';
      if (name === '') throw new AuthError('RoleEmpty');
      if (state.roles.has(name)) throw new AuthError('RoleAlreadyExist');
      state.roles.set(name, { name, permissions: [] });
      return [roleRecordKey(name)];
    }
    case 'role_delete': {
      const name = change.role_delete?.role ?? '';
      if (state.enabled && name === rootRole) throw new AuthError('InvalidAuthMgmt', "cannot delete 'root' role");
      if (!state.roles.delete(name)) throw new AuthError('RoleNotFound');
      const touched = [roleRecordKey(name)];
      for (const user of state.users.values()) {
        if (!user.roles.includes(name)) continue;
        user.roles = user.roles.filter((role) => role !== name);
        touched.push(userRecordKey(user.name));
      }
      return touched;
    }
    case 'role_grant_permission': {
      const r = change.role_grant_permission ?? {};
      const perm = r.perm;
      if (!perm) throw new AuthError('PermissionNotGiven');
      const key = Buffer.from(perm.key ?? Buffer.alloc(0));
      const rangeEnd = Buffer.from(perm.range_end ?? Buffer.alloc(0));
      if (!isValidPermissionRange(key, rangeEnd)) throw new AuthError('InvalidAuthMgmt', 'invalid permission range');
      const role = state.roles.get(r.name ?? '');
      if (!role) throw new AuthError('RoleNotFound');
      const permType = permTypeOf(perm.permType);
      const same = role.permissions.find((p) => p.key.equals(key) && p.rangeEnd.equals(rangeEnd));
      if (same) same.permType = permType;
      else role.permissions = [...role.permissions, { permType, key, rangeEnd }].sort((a, b) => Buffer.compare(a.key, b.key));
      return [roleRecordKey(role.name)];
    }
    case 'role_revoke_permission': {
      const r = change.role_revoke_permission ?? {};
      const role = state.roles.get(r.role ?? '');
      if (!role) throw new AuthError('RoleNotFound');
      const key = Buffer.from(r.key ?? Buffer.alloc(0));
      const rangeEnd = Buffer.from(r.range_end ?? Buffer.alloc(0));
      const kept = role.permissions.filter((p: AuthPermission) => !(p.key.equals(key) && p.rangeEnd.equals(rangeEnd)));
      if (kept.length === role.permissions.length) throw new AuthError('PermissionNotGranted');
      role.permissions = kept;
      return [roleRecordKey(role.name)];
    }
    default:
      throw new AuthError('InvalidAuthMgmt', `unknown auth change ${String(change.op)}`);
  }
}

/** etcd's hashedPassword is the bcrypt hash in base64. */
function hashOf(hashedPassword: string | undefined): string {
  const hash = Buffer.from(hashedPassword ?? '', 'base64').toString('latin1');
  // Passwords are hashed on the frontend; a change without a hash is a frontend bug, refused as etcd refuses an undecodable one.
  if (!hash.startsWith('$2')) throw new AuthError('AuthFailed', 'password hash missing or not bcrypt');
  return hash;
}

function permTypeOf(value: unknown): PermType {
  if (typeof value === 'number') return permTypes[value] ?? 'READ';
  return permTypes.includes(value as PermType) ? (value as PermType) : 'READ';
}

/** etcd's isValidPermissionRange: a key, and an end that is empty, "\0" (open) or after the key. */
function isValidPermissionRange(key: Buffer, rangeEnd: Buffer): boolean {
  if (key.length === 0) return false;
  if (rangeEnd.length === 0 || (rangeEnd.length === 1 && rangeEnd[0] === 0)) return true;
  return Buffer.compare(key, rangeEnd) < 0;
}
