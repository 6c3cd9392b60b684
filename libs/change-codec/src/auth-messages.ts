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

/** Bytes of a token id in TokenUses: the first bytes of the token's SHA-256. */
export const tokenIdBytes = 16;

/** The simple tokens a frontend accepted since its last TokenUses (sliding token lifetime, docs/ARCHITECTURE.md §5g). */
export interface TokenUses {
  frontend_id: string;
  /** SHA-256 of each token, first 16 bytes */
  token_ids: Uint8Array[];
}

export const authCodecs = Object.freeze({
  authStateRequest: wireCodec<AuthStateRequest>('AuthStateRequest'),
  authState: wireCodec<AuthState>('AuthState'),
  tokenUses: wireCodec<TokenUses>('TokenUses'),
});
