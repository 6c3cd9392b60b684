import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { applyAuthChange, emptyAuthState } from '@eckd/auth';
import type { AuthState } from '@eckd/auth';
import { ConfigError } from '@eckd/service-kit';
import { parseGoDuration } from '../config.js';
import { parseAuthToken } from './token-config.js';
import { JwtTokens, SimpleTokens } from './tokens.js';

const hash = (c: string) => Buffer.from(`$2a$10$abcdefghijklmnopqrstuuWvYvW1d7c1JmZtq8CSpWjTxg2xA2Zc${c}`, 'latin1').toString('base64');

function state(): AuthState {
  const s = emptyAuthState();
  applyAuthChange(s, { op: 'user_add', user_add: { name: 'alice', hashedPassword: hash('6') } });
  s.enabled = true;
  return s;
}

describe('simple tokens (signed with the node key)', () => {
  test('valid on any frontend holding the key, until the TTL; forged or foreign-keyed ones are not', () => {
    let now = 1_000;
    const tokens = new SimpleTokens(2_000, () => now);
    const s = state();
    const key = randomBytes(32);
    const token = tokens.assign('alice', s, key)!;
    assert.deepEqual(tokens.info(token, s, key), { user: 'alice', revision: s.revision });
    assert.equal(tokens.info(token, s, randomBytes(32)), undefined);
    assert.equal(tokens.info(`${token}x`, s, key), undefined);
    assert.equal(tokens.info('forged.token', s, key), undefined);
    now += 2_000;
    assert.equal(tokens.info(token, s, key), undefined);
  });

  test("each use extends a token to TTL after it (etcd's resetSimpleToken); unused, it lapses", () => {
    let now = 0;
    const tokens = new SimpleTokens(2_000, () => now);
    const s = state();
    const key = randomBytes(32);
    const token = tokens.assign('alice', s, key)!;
    for (now = 1_500; now <= 6_000; now += 1_500) assert.ok(tokens.info(token, s, key), `used at ${now}`);
    now = 6_000 + 2_000;
    assert.equal(tokens.info(token, s, key), undefined);
    tokens.uses.prune(now);
    assert.equal(tokens.uses.size, 0, 'a lapsed use is forgotten');
  });

  test("another frontend's uses extend the token here too (TokenUses)", () => {
    let now = 0;
    const [one, other] = [new SimpleTokens(2_000, () => now), new SimpleTokens(2_000, () => now)];
    const s = state();
    const key = randomBytes(32);
    const token = one.assign('alice', s, key)!;
    now = 1_500;
    assert.ok(one.info(token, s, key));
    const sent = one.uses.takeUnsent();
    assert.equal(sent.length, 1);
    assert.deepEqual(one.uses.takeUnsent(), [], 'each use is sent once');
    other.uses.heard(sent, now);
    now = 3_000;
    assert.ok(other.info(token, s, key), 'alive on the other frontend 3 s after issue, 1.5 s after its use on the first');
    assert.deepEqual(other.uses.takeUnsent().length, 1, 'and the other frontend sends its own use on');
    now = 5_000;
    assert.equal(one.info(token, s, key), undefined, 'the first frontend has not heard of the use at 3 s');
  });

  test('a password change, deleting the user, or disabling auth voids them', () => {
    const tokens = new SimpleTokens(60_000);
    const key = randomBytes(32);
    const s = state();
    const token = tokens.assign('alice', s, key)!;
    applyAuthChange(s, { op: 'user_change_password', user_change_password: { name: 'alice', hashedPassword: hash('7') } });
    assert.equal(tokens.info(token, s, key), undefined);
    const again = tokens.assign('alice', s, key)!;
    applyAuthChange(s, { op: 'auth_disable', auth_disable: {} });
    s.enabled = true;
    assert.equal(tokens.info(again, s, key), undefined);
    const third = tokens.assign('alice', s, key)!;
    applyAuthChange(s, { op: 'user_delete', user_delete: { name: 'alice' } });
    assert.equal(tokens.info(third, s, key), undefined);
  });
});

describe('jwt tokens', () => {
  for (const [signMethod, type, opts] of [
    ['RS256', 'rsa', { modulusLength: 2048 }],
    ['PS384', 'rsa', { modulusLength: 2048 }],
    ['ES256', 'ec', { namedCurve: 'P-256' }],
  ] as const) {
    test(`${signMethod}: etcd's claims, verified with the public key; another key's signature is refused`, () => {
      const pair = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
      const pem = (k: typeof pair.publicKey, kind: 'spki' | 'pkcs8') => k.export({ type: kind, format: 'pem' }).toString();
      const jwt = new JwtTokens({ signMethod, publicKey: pem(pair.publicKey, 'spki'), privateKey: pem(pair.privateKey, 'pkcs8'), ttlMs: 60_000 });
      const s = state();
      const token = jwt.assign('alice', s)!;
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(claims).sort(), ['exp', 'revision', 'username']);
      assert.deepEqual(jwt.info(token), { user: 'alice', revision: s.revision });
      const other = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
      const foreign = new JwtTokens({ signMethod, publicKey: pem(other.publicKey, 'spki'), privateKey: pem(other.privateKey, 'pkcs8'), ttlMs: 60_000 }).assign('alice', s)!;
      assert.equal(jwt.info(foreign), undefined);
      const verifyOnly = new JwtTokens({ signMethod, publicKey: pem(pair.publicKey, 'spki'), ttlMs: 60_000 });
      assert.equal(verifyOnly.assign('alice', s), undefined);
      assert.deepEqual(verifyOnly.info(token)?.user, 'alice');
    });
  }
});

describe('--auth-token', () => {
  test("etcd's syntax; bad options stop the start", () => {
    assert.deepEqual(parseAuthToken('simple', 300_000, parseGoDuration), { kind: 'simple', ttlMs: 300_000 });
    assert.deepEqual(parseAuthToken('jwt,pub-key=a.pem,priv-key=b.pem,sign-method=RS256,ttl=10m', 1, parseGoDuration), {
      kind: 'jwt',
      signMethod: 'RS256',
      publicKeyFile: 'a.pem',
      privateKeyFile: 'b.pem',
      ttlMs: 600_000,
    });
    for (const bad of ['plain', 'simple,ttl=1s', 'jwt,pub-key=a.pem', 'jwt,pub-key=a.pem,sign-method=HS999', 'jwt,sign-method=RS256', 'jwt,pub-key=a,pub-key=b,sign-method=RS256', 'jwt,pub-key=a,sign-method=RS256,color=red']) {
      assert.throws(() => parseAuthToken(bad, 1, parseGoDuration), ConfigError, bad);
    }
  });
});
