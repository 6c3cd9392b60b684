import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker, AckTrackerError } from './ack-tracker.js';

const persistedAndSelf = { persisted: true, frontends: 1, peers: 0 };

describe('ack-tracker', () => {
  test('releases only when persisted and applied by enough frontends', () => {
    const t = new AckTracker({ pendingMax: 10 });
    assert.equal(t.track(1, 5, persistedAndSelf), false);
    assert.deepEqual(t.recordFrontendApplied('fe-a', 5), []);
    assert.deepEqual(t.recordPersisted(5), [1]);
    assert.equal(t.pendingCount, 0);
  });

  test('a requirement already met is released at once and not kept', () => {
    const t = new AckTracker({ pendingMax: 1 });
    t.recordPersisted(10);
    t.recordFrontendApplied('fe-a', 10);
    assert.equal(t.track(1, 7, persistedAndSelf), true);
    assert.equal(t.pendingCount, 0);
  });

  test('internal factor counts distinct frontends at or past the revision', () => {
    const t = new AckTracker<string>({ pendingMax: 10 });
    t.recordPersisted(100);
    t.track('w', 8, { persisted: true, frontends: 2, peers: 0 });
    assert.deepEqual(t.recordFrontendApplied('fe-a', 9), []);
    assert.deepEqual(t.recordFrontendApplied('fe-a', 10), []);
    assert.deepEqual(t.recordFrontendApplied('fe-b', 7), []);
    assert.deepEqual(t.recordFrontendApplied('fe-b', 8), ['w']);
  });

  test('external factor counts peer nodes', () => {
    const t = new AckTracker({ pendingMax: 10 });
    t.recordPersisted(3);
    t.recordFrontendApplied('fe', 3);
    t.track(1, 3, { persisted: true, frontends: 1, peers: 1 });
    assert.deepEqual(t.recordPeerStored('member-b', 3), [1]);
  });

  test('external factor 2 waits for two distinct members at or past the revision', () => {
    const t = new AckTracker({ pendingMax: 10 });
    t.recordPersisted(6);
    t.recordFrontendApplied('fe', 6);
    t.track(1, 6, { persisted: true, frontends: 1, peers: 2 });
    assert.deepEqual(t.recordPeerStored('member-b', 6), []);
    assert.deepEqual(t.recordPeerStored('member-b', 7), [], 'one member twice is still one');
    assert.deepEqual(t.recordPeerStored('member-c', 5), []);
    assert.equal(t.pendingCount, 1);
    assert.deepEqual(t.recordPeerStored('member-c', 6), [1]);
  });

  test('applied revisions never go backwards', () => {
    const t = new AckTracker({ pendingMax: 10 });
    t.recordPersisted(9);
    t.recordFrontendApplied('fe', 9);
    t.recordFrontendApplied('fe', 2);
    assert.equal(t.track(1, 9, persistedAndSelf), true);
  });

  test('the registry is bounded and forget removes entries', () => {
    const t = new AckTracker({ pendingMax: 2 });
    t.track(1, 1, persistedAndSelf);
    t.track(2, 2, persistedAndSelf);
    assert.throws(() => t.track(3, 3, persistedAndSelf), AckTrackerError);
    assert.throws(() => t.track(1, 3, persistedAndSelf), /already tracked/);
    t.forget(1);
    assert.deepEqual(t.pendingIds(), [2]);
    t.track(3, 3, persistedAndSelf);
    assert.equal(t.pendingCount, 2);
  });

  test('a removed frontend no longer counts', () => {
    const t = new AckTracker({ pendingMax: 10 });
    t.recordPersisted(5);
    t.recordFrontendApplied('fe-a', 5);
    t.removeFrontend('fe-a');
    assert.equal(t.track(1, 5, persistedAndSelf), false);
  });
});
