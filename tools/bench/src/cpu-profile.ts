// A V8 CPU profile of a server process the bench starts. Node refuses
// `--cpu-prof` in NODE_OPTIONS, and libs/testing starts the apps with their
// own command line, so the profile is taken through NODE_OPTIONS' `--import`
// of a small module: the inspector's profiler from start-up to exit, written
// as <dir>/<label>-<pid>.cpuprofile (Chrome DevTools and speedscope read it).

/** NODE_OPTIONS that make a node process profile itself into `dir`. */
export function cpuProfileNodeOptions(dir: string, label: string): string {
  const code = [
    "import { Session } from 'node:inspector';",
    "import { writeFileSync } from 'node:fs';",
    'const session = new Session();',
    'session.connect();',
    "session.post('Profiler.enable');",
    "session.post('Profiler.start');",
    // A session on the process's own thread answers synchronously, so the profile is written before exit completes.
    `process.on('exit', () => session.post('Profiler.stop', (err, res) => { if (!err) writeFileSync(${JSON.stringify(`${dir}/${label}-`)} + process.pid + '.cpuprofile', JSON.stringify(res.profile)); }));`,
  ].join(' ');
  return `--import="data:text/javascript,${encodeURIComponent(code)}"`;
}
