// An auth failure carries etcd's error name (rpctypes), so the frontend's
// one translation point answers etcd's exact gRPC code and message.
import type { RpcErrorName } from '@eckd/etcd-proto';

export type AuthErrorName = Extract<
  RpcErrorName,
  | 'RootUserNotExist'
  | 'RootRoleNotExist'
  | 'UserAlreadyExist'
  | 'UserEmpty'
  | 'UserNotFound'
  | 'RoleAlreadyExist'
  | 'RoleNotFound'
  | 'RoleEmpty'
  | 'AuthFailed'
  | 'PermissionNotGiven'
  | 'PermissionDenied'
  | 'RoleNotGranted'
  | 'PermissionNotGranted'
  | 'AuthNotEnabled'
  | 'InvalidAuthToken'
  | 'InvalidAuthMgmt'
  | 'AuthOldRevision'
>;

export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly rpcName: AuthErrorName,
    detail?: string,
  ) {
    super(`auth: ${rpcName}${detail ? ` (${detail})` : ''}`);
  }
}
