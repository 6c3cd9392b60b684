// The one permission check of the frontend's request path (etcd's
// AuthInfoFromCtx, isOpPermitted, IsAdminPermitted and the apply-time
// checks of apply/auth.go). Every handler — gRPC today, the HTTP gateway
// too — asks it with the request's Caller before serving, from the auth
// replica, without a round trip. With auth disabled everything passes.
// Each check returns the auth revision it checked at (0: auth was
// disabled); writes carry it to the backend, which refuses them if auth is
// enabled there at a later revision (ErrAuthOldRevision), as etcd's apply
// does.
import { AuthError, checkKeyAccess, hasRootRole } from '@eckd/auth';
import type { Access, AuthState } from '@eckd/auth';
import type { TxnRequest } from '@eckd/mvcc';
import type { AuthReplica } from './auth-replica.js';
import type { Caller } from './caller.js';
import type { AuthInfo, TokenProvider } from './tokens.js';

type KeyRange = { key?: Uint8Array | null; range_end?: Uint8Array | null };

export class AuthGuard {
  constructor(
    private readonly replica: AuthReplica,
    readonly tokens: TokenProvider,
  ) {}

  get state(): AuthState {
    return this.replica.state;
  }

  /** The user a token names (etcd's AuthInfoFromCtx): undefined with auth disabled; a bad token is etcd's ErrInvalidAuthToken. */
  authInfoOfToken(token: string): AuthInfo | undefined {
    const state = this.replica.state;
    if (!state.enabled) return undefined;
    const info = this.tokens.info(token, state, this.replica.tokenKey);
    if (!info) throw new AuthError('InvalidAuthToken');
    return info;
  }

  /** A verified client certificate's common name as the user (etcd's AuthInfoFromTLS), at the current auth revision. */
  authInfoOfCommonName(commonName: string): AuthInfo | undefined {
    const state = this.replica.state;
    return state.enabled ? { user: commonName, revision: state.revision } : undefined;
  }

  /** The caller's AuthInfo: its token first, else its certificate's common name, else none. */
  authInfo(caller: Caller): AuthInfo | undefined {
    if (caller.token !== undefined) return this.authInfoOfToken(caller.token);
    if (caller.commonName !== undefined) return this.authInfoOfCommonName(caller.commonName);
    return undefined;
  }

  /** Read of a key or range (Range, Watch create, a Txn's compare). */
  range(caller: Caller, r: KeyRange): number {
    return this.#keys(caller, (state, user) => access(state, user, 'READ', r));
  }

  put(caller: Caller, r: { key?: Uint8Array | null; prev_kv?: boolean | null }): number {
    return this.#keys(caller, (state, user) => putAccess(state, user, r));
  }

  deleteRange(caller: Caller, r: KeyRange & { prev_kv?: boolean | null }): number {
    return this.#keys(caller, (state, user) => deleteAccess(state, user, r));
  }

  /** Every compare (read) and every op, nested txns included (etcd's CheckTxnAuth). */
  txn(caller: Caller, r: TxnRequest): number {
    return this.#keys(caller, (state, user) => txnAccess(state, user, r));
  }

  /** Root only (etcd's IsAdminPermitted): auth changes, Compact, Defragment, Snapshot, Hash, HashKV, MoveLeader, Downgrade, alarm changes. */
  admin(caller: Caller): number {
    const state = this.replica.state;
    if (!state.enabled) return 0;
    const info = this.authInfo(caller);
    if (!info || info.user === '') throw new AuthError('UserEmpty');
    const user = state.users.get(info.user);
    if (!user) throw new AuthError('UserNotFound');
    if (!hasRootRole(user)) throw new AuthError('PermissionDenied');
    return state.revision;
  }

  /** A user with a current token, whatever its permissions (etcd's isOpPermitted before the key check). */
  validUser(caller: Caller): number {
    return this.#keys(caller, () => undefined);
  }

  /** Any authenticated user (etcd's requireAuthInfo: Status, Alarm GET). */
  authenticated(caller: Caller): void {
    if (!this.replica.state.enabled) return;
    if (!this.authInfo(caller)) throw new AuthError('UserEmpty');
  }

  /** Whether the caller is root or `user` itself (UserGet) / holds `role` (RoleGet). */
  adminOr(caller: Caller, allowed: (info: AuthInfo) => boolean): void {
    try {
      this.admin(caller);
    } catch (err) {
      const info = this.replica.state.enabled ? this.authInfo(caller) : undefined;
      if (!(err instanceof AuthError) || !info || !allowed(info)) throw err;
    }
  }

  #keys(caller: Caller, check: (state: AuthState, user: string) => void): number {
    const state = this.replica.state;
    if (!state.enabled) return 0;
    const info = this.authInfo(caller);
    // etcd's isOpPermitted: no AuthInfo is revision 0, the empty user.
    if (!info) throw new AuthError('UserEmpty');
    if (info.revision < state.revision) throw new AuthError('AuthOldRevision');
    check(state, info.user);
    return state.revision;
  }
}

function access(state: AuthState, user: string, kind: Access, r: KeyRange): void {
  checkKeyAccess(state, user, kind, r.key ?? Buffer.alloc(0), r.range_end ?? undefined);
}

function putAccess(state: AuthState, user: string, r: { key?: Uint8Array | null; prev_kv?: boolean | null }): void {
  access(state, user, 'WRITE', { key: r.key });
  if (r.prev_kv) access(state, user, 'READ', { key: r.key });
}

function deleteAccess(state: AuthState, user: string, r: KeyRange & { prev_kv?: boolean | null }): void {
  if (r.prev_kv) access(state, user, 'READ', r);
  access(state, user, 'WRITE', r);
}

function txnAccess(state: AuthState, user: string, r: TxnRequest): void {
  for (const c of r.compare ?? []) access(state, user, 'READ', c);
  for (const op of [...(r.success ?? []), ...(r.failure ?? [])]) {
    if (op.request_range) access(state, user, 'READ', op.request_range);
    else if (op.request_put) putAccess(state, user, op.request_put);
    else if (op.request_delete_range) deleteAccess(state, user, op.request_delete_range);
    else if (op.request_txn) txnAccess(state, user, op.request_txn);
  }
}
