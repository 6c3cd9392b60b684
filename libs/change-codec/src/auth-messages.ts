// The version 1 messages of etcd's auth state between processes
// (proto/eckd/wire/v1/auth.proto), and one codec each. Users and roles are
// etcd's own stored forms (authpb), in etcd-proto's types.
import type { Role, User } from '@eckd/etcd-proto';
import type { Int64, WireError } from './messages.js';
import { wireCodec } from './wire.js';

export type AuthStateRequest = Record<string, never>;

export interface AuthState {
  enabled: boolean;
  revision: Int64;
  /** password: the bcrypt hash */
  users: User[];
  roles: Role[];
  /** the node's key for simple tokens, drawn at every backend start */
  token_key: Uint8Array;
  /** bumped by every AuthDisable: simple tokens issued before it are void */
  token_epoch: Int64;
  error?: WireError | null;
}

export const authCodecs = Object.freeze({
  authStateRequest: wireCodec<AuthStateRequest>('AuthStateRequest'),
  authState: wireCodec<AuthState>('AuthState'),
});
