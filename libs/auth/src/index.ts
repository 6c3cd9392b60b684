export { AuthError } from './auth-error.js';
export type { AuthErrorName } from './auth-error.js';
export { emptyAuthState, hasRootRole, rootPermission, rootRole, rootUser } from './auth-state.js';
export type { AuthPermission, AuthRole, AuthState, AuthUser, PermType } from './auth-state.js';
export { applyAuthChange } from './auth-changes.js';
export { authRecordOf, authRecordPrefix, authRecordsOf, authStateOfRecords, metaRecordKey } from './auth-records.js';
export { checkKeyAccess } from './permissions.js';
export type { Access } from './permissions.js';
export { authStateMessage, authStateOfMessage } from './auth-message.js';
