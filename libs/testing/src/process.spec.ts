import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess } from './process.js';

const script = (body: string) => ['-e', body];

test('startProcess captures stdout and stderr lines and waits for readiness', async () => {
  await using proc = await startProcess({
    name: 'echoer',
    command: process.execPath,
    args: script(
      `console.log('starting'); console.error('warn on stderr');
       setTimeout(() => console.log(JSON.stringify({ msg: 'ready', n: process.env.N })), 50);
       setInterval(() => {}, 1000);`,
    ),
    env: { N: '7' },
    readyLine: (l) => l.includes('"ready"'),
  });
  assert.ok(proc.pid > 0);
  assert.ok(proc.running);
  assert.ok(proc.lines.includes('starting'));
  assert.ok(proc.lines.includes('warn on stderr'));
  assert.ok(proc.lines.includes('{"msg":"ready","n":"7"}'));
  assert.equal(await proc.waitForLine((l) => l === 'starting', 100), 'starting');
});

test('startProcess rejects with the captured output when the process dies before ready', async () => {
  await assert.rejects(
    startProcess({
      name: 'dier',
      command: process.execPath,
      args: script(`console.log('config invalid: port'); process.exit(3);`),
      readyLine: (l) => l === 'ready',
    }),
    (err: Error) => /dier/.test(err.message) && /code 3/.test(err.message) && /config invalid: port/.test(err.message),
  );
});

test('startProcess rejects after the ready timeout with the output so far', async () => {
  await assert.rejects(
    startProcess({
      name: 'silent',
      command: process.execPath,
      args: script(`console.log('hello'); setInterval(() => {}, 1000);`),
      readyLine: (l) => l === 'ready',
      readyTimeoutMs: 1500,
    }),
    /silent did not become ready.*1500 ms[\s\S]*hello/,
  );
});

test('startProcess reports a missing binary', async () => {
  await assert.rejects(
    startProcess({ name: 'ghost', command: '/nonexistent/bin', readyLine: () => true, readyTimeoutMs: 2000 }),
    /failed to spawn ghost \(\/nonexistent\/bin\): spawn \/nonexistent\/bin ENOENT/,
  );
});

test('kill, exited and restart with the same spec', async () => {
  await using proc = await startProcess({
    name: 'restartable',
    command: process.execPath,
    args: script(`console.log('ready ' + process.pid); setInterval(() => {}, 1000);`),
    readyLine: (l) => l.startsWith('ready'),
  });
  const firstPid = proc.pid;
  proc.kill('SIGKILL');
  assert.deepEqual(await proc.exited, { code: null, signal: 'SIGKILL' });
  assert.equal(proc.running, false);
  await proc.restart();
  assert.ok(proc.running);
  assert.notEqual(proc.pid, firstPid);
  assert.ok(proc.lines.includes(`ready ${proc.pid}`));
  const mark = proc.lineCount;
  await assert.rejects(proc.waitForLine((l) => l.startsWith('ready'), 200, mark), /no matching line within 200 ms/);
  await proc.stop();
  assert.equal(proc.running, false);
});

test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
  const proc = await startProcess({
    name: 'stubborn',
    command: process.execPath,
    args: script(`process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000);`),
    readyLine: (l) => l === 'up',
  });
  await proc.stop(200);
  assert.equal((await proc.exited).signal, 'SIGKILL');
  assert.ok(proc.lines.includes('ignored'));
});

test('waitForLine rejects when the process exits first', async () => {
  await using proc = await startProcess({
    name: 'short',
    command: process.execPath,
    args: script(`console.log('up'); setTimeout(() => process.exit(0), 100);`),
    readyLine: (l) => l === 'up',
  });
  await assert.rejects(proc.waitForLine((l) => l === 'never', 5000), /short exited \(code 0\)/);
});
