// How eckdctl prints a Conflicts/List answer: a table (member ids in hex, as
// etcdctl prints them), or JSON in etcdctl's -w json style (bytes base64).
import type { ConflictListResponse__Output, Conflict__Output } from '@eckd/etcd-proto';

type Side = NonNullable<Conflict__Output['winner']>;

export function conflictsTable(response: ConflictListResponse__Output): string {
  const header = ['KEY', 'KIND', 'WINNER', 'WINNER REV', 'LOSER', 'LOSER REV', 'DETECTED REV', 'DETECTED AT'];
  const rows = response.conflicts.map((c) => [
    c.key.toString('utf8'),
    c.kind,
    memberHex(c.winner),
    c.winner?.origin_revision ?? '',
    memberHex(c.loser),
    c.loser?.origin_revision ?? '',
    c.detected_revision,
    new Date(Number(c.detected_at_unix_ms)).toISOString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const totals = Object.entries(response.total_by_kind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  return [rule, line(header), rule, ...rows.map(line), rule, `total by kind: ${totals}`].join('\n') + '\n';
}

export function conflictsJson(response: ConflictListResponse__Output): string {
  const side = (s: Side | null) => s && { member_id: s.member_id, origin_revision: s.origin_revision, tag: s.tag };
  return (
    JSON.stringify({
      header: response.header,
      conflicts: response.conflicts.map((c) => ({ ...c, key: c.key.toString('base64'), winner: side(c.winner), loser: side(c.loser) })),
      total_by_kind: response.total_by_kind,
    }) + '\n'
  );
}

function memberHex(side: Side | null): string {
  return side ? BigInt(side.member_id).toString(16) : '';
}
