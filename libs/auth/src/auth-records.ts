// The auth state as records in the node's Automerge document: one JSON
// scalar per user and per role, and one for the flag and revisions, each a
// root entry of its own (the member table's reasoning, docs/ARCHITECTURE.md
// §8.1: no map that two members could create concurrently; two members
// changing one user is an ordinary conflict of one record).
import type { AuthPermission, AuthRole, AuthState, AuthUser, PermType } from './auth-state.js';
import { emptyAuthState } from './auth-state.js';

export const authRecordPrefix = 'auth:';
export const metaRecordKey = 'auth:meta';
const userPrefix = 'auth:user:';
const rolePrefix = 'auth:role:';

export const userRecordKey = (name: string): string => userPrefix + name;
export const roleRecordKey = (name: string): string => rolePrefix + name;

interface StoredPermission {
  permType: PermType;
  key: string; // base64
  rangeEnd: string; // base64
}

/** The record stored under `key` for `state` (JSON), or undefined when it no longer exists. */
export function authRecordOf(state: AuthState, key: string): string | undefined {
  if (key === metaRecordKey) return JSON.stringify({ enabled: state.enabled, revision: state.revision, tokenEpoch: state.tokenEpoch });
  if (key.startsWith(userPrefix)) {
    const user = state.users.get(key.slice(userPrefix.length));
    return user && JSON.stringify(user);
  }
  if (key.startsWith(rolePrefix)) {
    const role = state.roles.get(key.slice(rolePrefix.length));
    return role && JSON.stringify({ name: role.name, permissions: role.permissions.map(storedPermission) });
  }
  return undefined;
}

/** Every record of `state`, for a document that starts empty (a history cut). */
export function authRecordsOf(state: AuthState): { key: string; value: string }[] {
  const keys = [metaRecordKey, ...[...state.users.keys()].map(userRecordKey), ...[...state.roles.keys()].map(roleRecordKey)];
  return keys.map((key) => ({ key, value: authRecordOf(state, key)! }));
}

/** The auth state the document's records hold (a document without any: etcd's fresh store). */
export function authStateOfRecords(records: readonly { key: string; value: string }[]): AuthState {
  const state = emptyAuthState();
  for (const { key, value } of records) {
    const parsed: unknown = JSON.parse(value);
    if (key === metaRecordKey) {
      const meta = parsed as { enabled: boolean; revision: number; tokenEpoch: number };
      state.enabled = meta.enabled === true;
      state.revision = Number(meta.revision) || 1;
      state.tokenEpoch = Number(meta.tokenEpoch) || 0;
    } else if (key.startsWith(userPrefix)) {
      const user = parsed as AuthUser;
      state.users.set(user.name, { name: user.name, password: user.password, roles: [...user.roles].sort(), noPassword: user.noPassword === true });
    } else if (key.startsWith(rolePrefix)) {
      const role = parsed as { name: string; permissions: StoredPermission[] };
      state.roles.set(role.name, { name: role.name, permissions: role.permissions.map(permissionOf) } satisfies AuthRole);
    }
  }
  return state;
}

function storedPermission(p: AuthPermission): StoredPermission {
  return { permType: p.permType, key: p.key.toString('base64'), rangeEnd: p.rangeEnd.toString('base64') };
}

function permissionOf(p: StoredPermission): AuthPermission {
  return { permType: p.permType, key: Buffer.from(p.key, 'base64'), rangeEnd: Buffer.from(p.rangeEnd, 'base64') };
}
