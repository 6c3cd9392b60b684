// etcd's auth store as plain data: the enabled flag, the auth revision,
// users and roles (docs/ARCHITECTURE.md §5g). The backend holds the
// authoritative one; every frontend holds a replica of it.
export type PermType = 'READ' | 'WRITE' | 'READWRITE';

export interface AuthPermission {
  permType: PermType;
  key: Buffer;
  /** empty: the key alone; "\0": every key from `key` on */
  rangeEnd: Buffer;
}

export interface AuthUser {
  name: string;
  /** bcrypt hash ("$2a$10$…"); empty for a user without password */
  password: string;
  /** sorted, as etcd keeps them */
  roles: string[];
  noPassword: boolean;
}

export interface AuthRole {
  name: string;
  /** sorted by key, as etcd keeps them */
  permissions: AuthPermission[];
}

export interface AuthState {
  enabled: boolean;
  /** etcd's auth revision: 1 for a fresh store, +1 at every change but AuthEnable */
  revision: number;
  /** +1 at every AuthDisable: simple tokens issued before are void (etcd forgets them) */
  tokenEpoch: number;
  users: Map<string, AuthUser>;
  roles: Map<string, AuthRole>;
}

export const rootUser = 'root';
export const rootRole = 'root';

export function emptyAuthState(): AuthState {
  return { enabled: false, revision: 1, tokenEpoch: 0, users: new Map(), roles: new Map() };
}

export function hasRootRole(user: AuthUser): boolean {
  return user.roles.includes(rootRole);
}

/** What the root role answers to RoleGet: read and write on every key (etcd's rootPerm). */
export const rootPermission: AuthPermission = Object.freeze({ permType: 'READWRITE', key: Buffer.alloc(0), rangeEnd: Buffer.from([0]) });
