import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthChange } from '@eckd/change-codec';
import { AuthError, applyAuthChange, authRecordOf, authRecordsOf, authStateOfRecords, checkKeyAccess, emptyAuthState } from './index.js';
import type { Access, AuthState } from './index.js';

const hash = Buffer.from('$2a$10$abcdefghijklmnopqrstuuWvYvW1d7c1JmZtq8CSpWjTxg2xA2Zc6', 'latin1').toString('base64');
const b = (s: string) => Buffer.from(s);

function apply(state: AuthState, change: AuthChange): string[] {
  return applyAuthChange(state, change);
}

function refused(state: AuthState, change: AuthChange, name: AuthError['rpcName']): void {
  const before = JSON.stringify(authRecordsOf(state));
  assert.throws(() => applyAuthChange(state, change), (err) => err instanceof AuthError && err.rpcName === name);
  assert.equal(JSON.stringify(authRecordsOf(state)), before, 'a refused change changes nothing');
}

/** root (root role), alice with role r granting `perms`. */
function store(...perms: [string, 'READ' | 'WRITE' | 'READWRITE', string?][]): AuthState {
  const s = emptyAuthState();
  apply(s, { op: 'user_add', user_add: { name: 'root', hashedPassword: hash } });
  apply(s, { op: 'user_grant_role', user_grant_role: { user: 'root', role: 'root' } });
  apply(s, { op: 'user_add', user_add: { name: 'alice', hashedPassword: hash } });
  apply(s, { op: 'role_add', role_add: { name: 'r' } });
  for (const [key, permType, rangeEnd] of perms) apply(s, { op: 'role_grant_permission', role_grant_permission: { name: 'r', perm: { permType, key: b(key), range_end: b(rangeEnd ?? '') } } });
  apply(s, { op: 'user_grant_role', user_grant_role: { user: 'alice', role: 'r' } });
  return s;
}

const may = (s: AuthState, access: Access, key: string, end?: string) => {
  try {
    checkKeyAccess(s, 'alice', access, b(key), end === undefined ? undefined : b(end));
    return true;
  } catch (err) {
    assert.ok(err instanceof AuthError && err.rpcName === 'PermissionDenied');
    return false;
  }
};

describe('auth store changes (etcd server/auth/store.go)', () => {
  test('enable needs root with the root role; enable moves no revision, other changes one each', () => {
    const s = emptyAuthState();
    assert.equal(s.revision, 1);
    refused(s, { op: 'auth_enable', auth_enable: {} }, 'RootUserNotExist');
    apply(s, { op: 'user_add', user_add: { name: 'root', hashedPassword: hash } });
    refused(s, { op: 'auth_enable', auth_enable: {} }, 'RootRoleNotExist');
    apply(s, { op: 'user_grant_role', user_grant_role: { user: 'root', role: 'root' } });
    assert.equal(s.revision, 3);
    apply(s, { op: 'auth_enable', auth_enable: {} });
    assert.equal(s.enabled, true);
    assert.equal(s.revision, 3);
    assert.deepEqual(apply(s, { op: 'auth_enable', auth_enable: {} }), []);
    apply(s, { op: 'auth_disable', auth_disable: {} });
    assert.equal(s.revision, 4);
    assert.equal(s.tokenEpoch, 1);
  });

  test("etcd's refusals", () => {
    const s = store(['k', 'READ']);
    refused(s, { op: 'user_add', user_add: { name: '', hashedPassword: hash } }, 'UserEmpty');
    refused(s, { op: 'user_add', user_add: { name: 'alice', hashedPassword: hash } }, 'UserAlreadyExist');
    refused(s, { op: 'user_delete', user_delete: { name: 'bob' } }, 'UserNotFound');
    refused(s, { op: 'user_grant_role', user_grant_role: { user: 'alice', role: 'nope' } }, 'RoleNotFound');
    refused(s, { op: 'user_revoke_role', user_revoke_role: { name: 'alice', role: 'nope' } }, 'RoleNotGranted');
    refused(s, { op: 'role_add', role_add: { name: '' } }, 'RoleEmpty');
    refused(s, { op: 'role_add', role_add: { name: 'r' } }, 'RoleAlreadyExist');
    refused(s, { op: 'role_grant_permission', role_grant_permission: { name: 'r' } }, 'PermissionNotGiven');
    refused(s, { op: 'role_grant_permission', role_grant_permission: { name: 'r', perm: { key: b('') } } }, 'InvalidAuthMgmt');
    refused(s, { op: 'role_grant_permission', role_grant_permission: { name: 'r', perm: { key: b('b'), range_end: b('a') } } }, 'InvalidAuthMgmt');
    refused(s, { op: 'role_revoke_permission', role_revoke_permission: { role: 'r', key: b('x') } }, 'PermissionNotGranted');
    apply(s, { op: 'auth_enable', auth_enable: {} });
    refused(s, { op: 'user_delete', user_delete: { name: 'root' } }, 'InvalidAuthMgmt');
    refused(s, { op: 'role_delete', role_delete: { role: 'root' } }, 'InvalidAuthMgmt');
    refused(s, { op: 'user_revoke_role', user_revoke_role: { name: 'root', role: 'root' } }, 'InvalidAuthMgmt');
  });

  test('deleting a role revokes it from its users; records round-trip through the document form', () => {
    const s = store(['k', 'READWRITE']);
    const touched = apply(s, { op: 'role_delete', role_delete: { role: 'r' } });
    assert.deepEqual(touched.sort(), ['auth:meta', 'auth:role:r', 'auth:user:alice']);
    assert.equal(authRecordOf(s, 'auth:role:r'), undefined);
    assert.deepEqual(s.users.get('alice')!.roles, []);
    const again = authStateOfRecords(authRecordsOf(store(['a', 'READ', '\0'], ['k', 'WRITE'])));
    assert.deepEqual(authRecordsOf(again), authRecordsOf(store(['a', 'READ', '\0'], ['k', 'WRITE'])));
  });
});

describe('permission check (etcd range_perm_cache.go)', () => {
  test('a key, a range, a prefix, an open end; read and write apart', () => {
    const s = store(['k', 'READ'], ['a', 'READWRITE', 'c'], ['p/', 'WRITE', 'p0'], ['x', 'READ', '\0']);
    assert.ok(may(s, 'READ', 'k'));
    assert.ok(!may(s, 'WRITE', 'k'));
    assert.ok(!may(s, 'READ', 'k0'));
    assert.ok(may(s, 'READ', 'a', 'c'));
    assert.ok(may(s, 'WRITE', 'b'));
    assert.ok(!may(s, 'READ', 'a', 'd'));
    assert.ok(may(s, 'WRITE', 'p/q'));
    assert.ok(!may(s, 'READ', 'p/q'));
    assert.ok(may(s, 'READ', 'zzz'));
    assert.ok(may(s, 'READ', 'x', '\0'));
    assert.ok(!may(s, 'READ', 'w', '\0'));
  });

  test('adjacent permissions cover a range together; root covers everything', () => {
    const s = store(['a', 'READ', 'b'], ['b', 'READ', 'c']);
    assert.ok(may(s, 'READ', 'a', 'c'));
    assert.ok(!may(s, 'READ', 'a', 'c0'));
    checkKeyAccess(s, 'root', 'WRITE', b(''), b('\0'));
    assert.throws(() => checkKeyAccess(s, 'ghost', 'READ', b('a')), (err) => err instanceof AuthError && err.rpcName === 'PermissionDenied');
  });
});
