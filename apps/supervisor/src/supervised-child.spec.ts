import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { BackoffPolicy } from './backoff.js';
import { createLogger } from './log.js';
import type { ChildExit } from './supervised-child.js';
import { SupervisedChild, isJsonReadyLine } from './supervised-child.js';

const dummyApp = fileURLToPath(new URL('../test/fixtures/dummy-app.mjs', import.meta.url));
const fastBackoff: BackoffPolicy = { initialDelayMs: 50, maxDelayMs: 200, factor: 2, resetAfterUpMs: 60_000 };

function makeChild(mode: string, options: { stopTimeoutMs?: number; onExit?: (exit: ChildExit) => void } = {}) {
  const lines: string[] = [];
  const logLines: string[] = [];
  const child = new SupervisedChild({
    spec: {
      name: `dummy-${mode}`,
      command: process.execPath,
      args: [dummyApp],
      env: { ...process.env, DUMMY_MODE: mode, DUMMY_NAME: mode },
      isReadyLine: isJsonReadyLine,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
    },
    backoff: fastBackoff,
    writeLine: (line) => lines.push(line),
    log: createLogger('test', (line) => logLines.push(line)),
    onUnexpectedExit: options.onExit,
  });
  return { child, lines, logLines };
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('supervised child', () => {
  test('supervised child - a ready line is recognised only as a JSON msg', () => {
    assert.ok(isJsonReadyLine('{"level":"info","msg":"ready"}'));
    assert.ok(!isJsonReadyLine('{"msg":"ready now"}'));
    assert.ok(!isJsonReadyLine('ready'));
    assert.ok(!isJsonReadyLine('{"msg":'));
  });

  test('supervised child - passes output on as JSON lines naming it, sees ready, stops with SIGTERM', async () => {
    const { child, lines } = makeChild('serve');
    child.start();
    assert.equal(await child.whenReady(10_000), true);
    await child.stop();
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(parsed.every((line) => line['child'] === 'dummy-serve'), lines.join('\n'));
    assert.ok(lines.every((line) => line.startsWith('{"child":"dummy-serve",')), 'the child comes first');
    assert.ok(parsed.some((line) => line['msg'] === 'half a line' && line['stream'] === 'stdout'), lines.join('\n'));
    assert.ok(parsed.some((line) => line['msg'] === 'stopping'));
    assert.equal(child.spawnCount, 1);
    assert.equal(child.isReady, false);
  });

  test('supervised child - a crashing child is restarted with growing delays', async () => {
    const exits: ChildExit[] = [];
    const { child, lines } = makeChild('crash', { onExit: (exit) => exits.push(exit) });
    child.start();
    await waitFor(() => exits.length >= 4);
    await child.stop();
    assert.deepEqual(
      exits.slice(0, 4).map((exit) => exit.restartDelayMs),
      [50, 100, 200, 200],
    );
    assert.ok(exits.every((exit) => exit.code === 1));
    assert.ok(lines.some((line) => (JSON.parse(line) as { msg?: string }).msg === 'dummy: crashing on purpose'), lines.join('\n'));
    const spawned = child.spawnCount;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(child.spawnCount, spawned, 'no restart after stop()');
  });

  test('supervised child - a killed child comes back and says ready again', async () => {
    const { child } = makeChild('serve');
    child.start();
    assert.equal(await child.whenReady(10_000), true);
    const firstPid = child.pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => child.spawnCount === 2 && child.isReady);
    assert.notEqual(child.pid, firstPid);
    await child.stop();
  });

  test('supervised child - SIGKILL follows when SIGTERM is ignored', async () => {
    const { child, logLines } = makeChild('ignore-term', { stopTimeoutMs: 300 });
    child.start();
    assert.equal(await child.whenReady(10_000), true);
    const startedMs = Date.now();
    await child.stop();
    assert.ok(Date.now() - startedMs >= 290);
    assert.ok(logLines.some((line) => line.includes('did not stop in time')));
  });

  test('supervised child - a command that does not exist is retried, and stop() ends it', async () => {
    const exits: ChildExit[] = [];
    const logLines: string[] = [];
    const child = new SupervisedChild({
      spec: { name: 'missing', command: '/nonexistent/eckd-binary', args: [], env: {}, isReadyLine: () => false, stopTimeoutMs: 100 },
      backoff: fastBackoff,
      writeLine: () => {},
      log: createLogger('test', (line) => logLines.push(line)),
      onUnexpectedExit: (exit) => exits.push(exit),
    });
    child.start();
    await waitFor(() => exits.length >= 2);
    await child.stop();
    const failure = JSON.parse(logLines.find((line) => line.includes('could not start'))!) as Record<string, unknown>;
    assert.equal(failure['level'], 'error');
    assert.equal(failure['child'], 'missing');
    assert.match(String(failure['msg']), /^could not start \/nonexistent\/eckd-binary: .*ENOENT/);
    assert.equal(await child.whenReady(50), false);
  });
});
