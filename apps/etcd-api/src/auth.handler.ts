// etcdserverpb.Auth (docs/ARCHITECTURE.md §5g). Changes are root-only
// proposals through the backend, ordered with writes; passwords are hashed
// here with bcrypt (etcd's API layer does the same since 3.5), never on the
// backend's put path. Reads (AuthStatus, UserGet/List, RoleGet/List) are
// answered from the auth replica after asking the backend for its current
// state, so they see every change acknowledged before them. Authenticate
// checks the password against the replica and signs a token here.
import bcrypt from 'bcryptjs';
import { AuthError, rootPermission, rootRole } from '@eckd/auth';
import type { AuthChange, AuthChangeOp } from '@eckd/change-codec';
import type { AuthHandlers, Permission } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import type { Acknowledger } from './acknowledger.js';
import type { AuthGuard } from './auth/auth-guard.js';
import type { AuthReplica } from './auth/auth-replica.js';
import type { Caller } from './auth/caller.js';
import { proposeWithHeader, responseHeader } from './header.js';
import type { NodeHeader } from './header.js';
import type { Proposer } from './proposer.js';
import type { Replica } from './replica.js';
import { unary } from './unary.js';

export interface AuthDeps {
  replica: Replica;
  proposer: Proposer;
  acknowledger: Acknowledger;
  authReplica: AuthReplica;
  guard: AuthGuard;
  /** --bcrypt-cost (etcd's default 10) */
  bcryptCost: number;
  log: Logger;
}

/** What an auth change is estimated to take in a proposal batch. */
const authProposalBytes = 256;

export function authHandlers(deps: AuthDeps): AuthHandlers {
  const { log } = deps;
  const header = () => responseHeader(deps.replica, deps.replica.revision);
  const change = <Req>(name: string, op: AuthChangeOp, prepare: (req: Req) => Promise<AuthChange[AuthChangeOp]> | AuthChange[AuthChangeOp] = (req) => req as AuthChange[AuthChangeOp]) =>
    unary(name, log, async (req: Req, caller: Caller) => ({ header: (await propose(deps, caller, { op, [op]: await prepare(req) })).header }));
  const fresh = async () => {
    await deps.authReplica.refresh();
    return deps.guard.state;
  };
  return {
    AuthEnable: change('AuthEnable', 'auth_enable'),
    AuthDisable: change('AuthDisable', 'auth_disable'),
    AuthStatus: unary('AuthStatus', log, async () => {
      const state = await fresh();
      return { header: header(), enabled: state.enabled, authRevision: state.revision };
    }),
    Authenticate: unary('Authenticate', log, async (req) => {
      const token = await authenticate(deps, req.name, req.password);
      return { header: header(), token };
    }),
    UserAdd: change('UserAdd', 'user_add', async (req) => {
      if (!req.name) throw new AuthError('UserEmpty');
      if (req.options?.no_password) return { name: req.name, options: { no_password: true } };
      return { name: req.name, options: req.options ?? {}, hashedPassword: await hashed(deps, req.password, req.hashedPassword) };
    }),
    UserGet: unary('UserGet', log, async (req, caller) => {
      const state = await fresh();
      deps.guard.adminOr(caller, (info) => info.user === req.name);
      const user = state.users.get(req.name);
      if (!user) throw new AuthError('UserNotFound');
      return { header: header(), roles: user.roles };
    }),
    UserList: unary('UserList', log, async (_req, caller) => {
      const state = await fresh();
      deps.guard.admin(caller);
      return { header: header(), users: [...state.users.keys()].sort() };
    }),
    UserDelete: change('UserDelete', 'user_delete'),
    UserChangePassword: change('UserChangePassword', 'user_change_password', async (req) => ({ name: req.name, hashedPassword: await hashed(deps, req.password, req.hashedPassword) })),
    UserGrantRole: change('UserGrantRole', 'user_grant_role'),
    UserRevokeRole: change('UserRevokeRole', 'user_revoke_role'),
    RoleAdd: change('RoleAdd', 'role_add'),
    RoleGet: unary('RoleGet', log, async (req, caller) => {
      const state = await fresh();
      deps.guard.adminOr(caller, (info) => state.users.get(info.user)?.roles.includes(req.role) === true);
      if (req.role === rootRole && state.roles.has(rootRole)) return { header: header(), perm: [wirePermission(rootPermission)] };
      const role = state.roles.get(req.role);
      if (!role) throw new AuthError('RoleNotFound');
      return { header: header(), perm: role.permissions.map(wirePermission) };
    }),
    RoleList: unary('RoleList', log, async (_req, caller) => {
      const state = await fresh();
      deps.guard.admin(caller);
      return { header: header(), roles: [...state.roles.keys()].sort() };
    }),
    RoleDelete: change('RoleDelete', 'role_delete'),
    RoleGrantPermission: change('RoleGrantPermission', 'role_grant_permission'),
    RoleRevokePermission: change('RoleRevokePermission', 'role_revoke_permission'),
  };
}

/** A root-only auth change through the backend; the reply waits until this frontend's auth replica has it. */
async function propose(deps: AuthDeps, caller: Caller, auth: AuthChange): Promise<{ header: NodeHeader }> {
  await deps.authReplica.refresh();
  const authRevision = deps.guard.admin(caller);
  const { result, header } = await proposeWithHeader(deps, { op: 'auth', auth, auth_revision: authRevision }, authProposalBytes);
  await deps.authReplica.reach(Number(result.auth?.auth_revision ?? 0));
  return { header };
}

/** etcd's hashedPassword: the bcrypt hash of the password, base64 (a client may send it hashed already). */
async function hashed(deps: AuthDeps, password: string, hashedPassword: string): Promise<string> {
  if (hashedPassword) return hashedPassword;
  return Buffer.from(await bcrypt.hash(password, deps.bcryptCost), 'latin1').toString('base64');
}

/**
 * etcd's CheckPassword then Authenticate. A user or password the replica
 * does not know yet (added or changed through another frontend a moment
 * ago) is looked up again in the backend's current state before failing.
 */
async function authenticate(deps: AuthDeps, name: string, password: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const state = deps.guard.state;
    if (!state.enabled && attempt > 0) throw new AuthError('AuthNotEnabled');
    const user = state.enabled ? state.users.get(name) : undefined;
    if (user?.noPassword) throw new NoPasswordUserError();
    const ok = user !== undefined && (await bcrypt.compare(password, user.password));
    if (ok) {
      const token = deps.guard.tokens.assign(name, state, deps.authReplica.tokenKey);
      if (token === undefined) throw new AuthError('AuthFailed', 'this frontend cannot sign tokens (jwt without priv-key)');
      return token;
    }
    if (attempt > 0) throw new AuthError(state.enabled ? 'AuthFailed' : 'AuthNotEnabled');
    await deps.authReplica.refresh();
  }
}

/**
 * etcd's ErrNoPasswordUser has no gRPC mapping, so etcd answers it as any
 * unmapped error: gRPC UNKNOWN with its text (toGrpcError does the same).
 */
class NoPasswordUserError extends Error {
  override name = 'NoPasswordUserError';
  constructor() {
    super('auth: authentication failed, password was given for no password user');
  }
}

function wirePermission(p: { permType: string; key: Buffer; rangeEnd: Buffer }): Permission {
  return { permType: p.permType as Permission['permType'], key: p.key, range_end: p.rangeEnd };
}
