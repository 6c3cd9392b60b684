// node:test reporter that prints one closing line, `N passed, N failed`
// (plus skipped), counting tests, not suites.
//
// A spec file can fail with no failing test in it: its process exited
// non-zero, or an error came after its tests ended. The spec reporter then
// shows only "'test failed'" in its closing list, far from the file's own
// output, and CI keeps only the tail of the run. So, above the closing line,
// this reporter repeats for each such file the runner's notes about it and
// the last lines it wrote to stderr.
const stderrLinesKept = 40;
const filesReportedMax = 10;

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const stderrTails = new Map(); // file -> its last stderr lines
  let notes = []; // top-level diagnostics since the last top-level result
  const failedFiles = [];
  for await (const event of source) {
    if (event.type === 'test:stderr' && event.data.file) {
      const tail = stderrTails.get(event.data.file) ?? [];
      tail.push(...String(event.data.message).trimEnd().split('\n'));
      stderrTails.set(event.data.file, tail.slice(-stderrLinesKept));
      continue;
    }
    if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
      notes.push(event.data.message);
      notes = notes.slice(-stderrLinesKept);
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const details = event.data.details ?? {};
    const topLevel = event.data.nesting === 0;
    const fileItself = topLevel && event.data.file !== undefined && event.data.name === event.data.file;
    if (topLevel) {
      if (event.type === 'test:fail' && fileItself) failedFiles.push({ file: event.data.file, notes });
      notes = [];
    }
    if (details.type === 'suite') continue;
    if (event.data.skip || event.data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  for (const { file, notes: fileNotes } of failedFiles.slice(0, filesReportedMax)) {
    const tail = stderrTails.get(file) ?? [];
    yield `\n${file} failed outside its tests (its process exited non-zero, or an error came after a test ended)\n`;
    for (const note of fileNotes) yield `  note: ${note}\n`;
    if (tail.length > 0) yield `  its last ${tail.length} stderr lines:\n${tail.map((l) => `    ${l}`).join('\n')}\n`;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
