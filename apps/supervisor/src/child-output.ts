// A child's output line as one JSON log line of the supervisor's output:
// the child's name comes first (`"child":"node2/backend"`), then the line.
// An app's JSON line keeps its fields; any other line (nats-server, a
// stack trace) becomes the `msg` of a line with the stream it came from.
export type OutputStream = 'stdout' | 'stderr';

export function childOutputLine(child: string, stream: OutputStream, line: string): string {
  const object = jsonObject(line);
  if (object !== undefined) return JSON.stringify({ child, ...object });
  return JSON.stringify({ child, time: new Date().toISOString(), level: 'info', stream, msg: line });
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
