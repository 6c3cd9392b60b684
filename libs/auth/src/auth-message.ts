// The auth state on the wire (change-codec's AuthState, users and roles in
// etcd's authpb forms) and back.
import type { AuthState as AuthStateMessage } from '@eckd/change-codec';
import type { AuthState, PermType } from './auth-state.js';
import { emptyAuthState } from './auth-state.js';

export function authStateMessage(state: AuthState, tokenKey: Uint8Array): AuthStateMessage {
  return {
    enabled: state.enabled,
    revision: state.revision,
    token_epoch: state.tokenEpoch,
    token_key: tokenKey,
    users: [...state.users.values()].map((u) => ({ name: Buffer.from(u.name), password: Buffer.from(u.password, 'latin1'), roles: u.roles, options: { no_password: u.noPassword } })),
    roles: [...state.roles.values()].map((r) => ({ name: Buffer.from(r.name), keyPermission: r.permissions.map((p) => ({ permType: p.permType, key: p.key, range_end: p.rangeEnd })) })),
  };
}

/** A decoded AuthState message as the frontend's replica holds it. */
export function authStateOfMessage(message: AuthStateMessage): { state: AuthState; tokenKey: Buffer } {
  const state = emptyAuthState();
  state.enabled = message.enabled;
  state.revision = Number(message.revision);
  state.tokenEpoch = Number(message.token_epoch);
  for (const u of message.users) {
    const name = Buffer.from(u.name ?? '').toString();
    state.users.set(name, { name, password: Buffer.from(u.password ?? '').toString('latin1'), roles: [...(u.roles ?? [])].sort(), noPassword: u.options?.no_password === true });
  }
  for (const r of message.roles) {
    const name = Buffer.from(r.name ?? '').toString();
    state.roles.set(name, {
      name,
      permissions: (r.keyPermission ?? []).map((p) => ({ permType: String(p.permType ?? 'READ') as PermType, key: Buffer.from(p.key ?? ''), rangeEnd: Buffer.from(p.range_end ?? '') })),
    });
  }
  return { state, tokenKey: Buffer.from(message.token_key) };
}
