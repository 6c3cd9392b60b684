// etcd's token providers (--auth-token): simple and jwt. A token names a
// user and an auth revision (etcd's AuthInfo).
//
// simple: etcd issues a random token through raft so every member knows it.
// eckd signs instead (HMAC-SHA256 with the node key the backend hands every
// frontend), so a token issued by one frontend works on all of the node's
// without a round trip; the key is drawn at every backend start, so a
// restarted node forgets its tokens, as etcd does. A token is void TTL
// after its last use on any of the node's frontends (token-uses.ts; etcd's
// resetSimpleToken), after its user's password changes or the user is
// deleted, and after AuthDisable (etcd's invalidateUser and disable); its
// revision is the store's current one, as etcd's simple tokens carry none.
//
// jwt: etcd's claims (username, revision, exp) signed with the configured
// key; its revision is the one at issue, so any auth change makes it old
// (etcd's ErrAuthOldRevision, and clients authenticate again).
import { constants, createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { AuthState } from '@eckd/auth';
import { TokenUseLog, tokenIdOf } from './token-uses.js';

export interface AuthInfo {
  user: string;
  revision: number;
}

export interface TokenProvider {
  /** A token for `user` (known to exist in `state`), or undefined when this provider cannot sign. */
  assign(user: string, state: AuthState, key: Buffer): string | undefined;
  /** Whom a token names; undefined when it is not valid. */
  info(token: string, state: AuthState, key: Buffer): AuthInfo | undefined;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The part of a user's password hash a token carries: a new password voids the token. */
function credentialOf(state: AuthState, user: string): string | undefined {
  const u = state.users.get(user);
  return u && createHash('sha256').update(u.password).digest('base64url').slice(0, 16);
}

interface SimpleClaims {
  u: string; // user
  e: number; // expiry without use (issue + TTL), Unix ms
  p: number; // token epoch (AuthDisable voids)
  c: string; // credential
  n: string; // nonce
}

export class SimpleTokens implements TokenProvider {
  /** the node's uses of its tokens: each use extends a token to TTL after it */
  readonly uses: TokenUseLog;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.uses = new TokenUseLog(ttlMs);
  }

  assign(user: string, state: AuthState, key: Buffer): string | undefined {
    const credential = credentialOf(state, user);
    if (credential === undefined || key.length === 0) return undefined;
    const claims: SimpleClaims = { u: user, e: this.now() + this.ttlMs, p: state.tokenEpoch, c: credential, n: randomBytes(6).toString('base64url') };
    const payload = b64url(JSON.stringify(claims));
    return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
  }

  info(token: string, state: AuthState, key: Buffer): AuthInfo | undefined {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined || key.length === 0) return undefined;
    const expected = createHmac('sha256', key).update(payload).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: SimpleClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as SimpleClaims;
    } catch {
      return undefined;
    }
    if (claims.p !== state.tokenEpoch || claims.c !== credentialOf(state, claims.u)) return undefined;
    const now = this.now();
    const id = tokenIdOf(token);
    const lastUse = this.uses.lastUse(id);
    if (claims.e <= now && (lastUse === undefined || lastUse + this.ttlMs <= now)) return undefined;
    this.uses.used(id, now);
    return { user: claims.u, revision: state.revision };
  }
}

/** etcd's jwt sign methods: RSA (RS*, PS*), ECDSA (ES*), and HMAC is not offered (etcd needs key files). */
const signMethods = {
  RS256: { hash: 'sha256', hashBytes: 32, padding: 'pkcs1' },
  RS384: { hash: 'sha384', hashBytes: 48, padding: 'pkcs1' },
  RS512: { hash: 'sha512', hashBytes: 64, padding: 'pkcs1' },
  PS256: { hash: 'sha256', hashBytes: 32, padding: 'pss' },
  PS384: { hash: 'sha384', hashBytes: 48, padding: 'pss' },
  PS512: { hash: 'sha512', hashBytes: 64, padding: 'pss' },
  ES256: { hash: 'sha256', hashBytes: 32, padding: 'ecdsa' },
  ES384: { hash: 'sha384', hashBytes: 48, padding: 'ecdsa' },
  ES512: { hash: 'sha512', hashBytes: 64, padding: 'ecdsa' },
} as const;
export type JwtSignMethod = keyof typeof signMethods;
export const jwtSignMethods = Object.keys(signMethods) as JwtSignMethod[];

export interface JwtOptions {
  signMethod: JwtSignMethod;
  /** PEM; absent: this frontend only verifies (etcd's verify-only mode) */
  privateKey?: string;
  publicKey: string;
  ttlMs: number;
}

export class JwtTokens implements TokenProvider {
  readonly #private: KeyObject | undefined;
  readonly #public: KeyObject;

  constructor(
    private readonly opts: JwtOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#private = opts.privateKey === undefined ? undefined : createPrivateKey(opts.privateKey);
    this.#public = createPublicKey(opts.publicKey);
  }

  assign(user: string, state: AuthState): string | undefined {
    if (!this.#private) return undefined;
    const header = b64url(JSON.stringify({ alg: this.opts.signMethod, typ: 'JWT' }));
    const claims = b64url(JSON.stringify({ username: user, revision: state.revision, exp: Math.floor((this.now() + this.opts.ttlMs) / 1000) }));
    const input = `${header}.${claims}`;
    return `${input}.${sign(this.#algorithm(), Buffer.from(input), this.#keyOptions(this.#private)).toString('base64url')}`;
  }

  info(token: string): AuthInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, claims, signature] = parts as [string, string, string];
    try {
      const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
      if (h.alg !== this.opts.signMethod) return undefined;
      if (!verify(this.#algorithm(), Buffer.from(`${header}.${claims}`), this.#keyOptions(this.#public), Buffer.from(signature, 'base64url'))) return undefined;
      const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { username?: unknown; revision?: unknown; exp?: unknown };
      if (typeof c.username !== 'string' || typeof c.revision !== 'number' || typeof c.exp !== 'number') return undefined;
      if (c.exp * 1000 <= this.now()) return undefined;
      return { user: c.username, revision: c.revision };
    } catch {
      return undefined;
    }
  }

  #algorithm(): string {
    return signMethods[this.opts.signMethod].hash;
  }

  #keyOptions(key: KeyObject) {
    const { padding, hashBytes } = signMethods[this.opts.signMethod];
    // JWS encodings: ECDSA signatures as r||s, PSS with a salt as long as the hash.
    if (padding === 'ecdsa') return { key, dsaEncoding: 'ieee-p1363' as const };
    if (padding === 'pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashBytes };
    return { key };
  }
}
