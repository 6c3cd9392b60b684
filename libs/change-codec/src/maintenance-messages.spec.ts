import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backupFormat, backupSectorBytes, encodeBackupFile, encodeBackupFileHead, encodeBackupFilePadding, encodeBackupFileRows, maintenanceCodecs } from './maintenance-messages.js';
import { WireDecodeError } from './wire.js';

describe('maintenance messages', () => {
  test('a maintenance request carries etcd requests with a oneof discriminator', () => {
    const back = maintenanceCodecs.maintenanceRequest.decode(
      maintenanceCodecs.maintenanceRequest.encode({ alarm: { action: 'DEACTIVATE', memberID: '18446744073709551615', alarm: 'NOSPACE' } }),
    );
    assert.equal(back.op, 'alarm');
    assert.deepEqual(back.alarm, { action: 'DEACTIVATE', memberID: '18446744073709551615', alarm: 'NOSPACE' });
    assert.equal(maintenanceCodecs.maintenanceRequest.decode(maintenanceCodecs.maintenanceRequest.encode({ status: {} })).op, 'status');
  });

  test('golden bytes pin the field numbers of a node status reply', () => {
    const bytes = maintenanceCodecs.maintenanceReply.encode({
      status: {
        db_size: 5,
        db_size_in_use: 4,
        quota_bytes: 3,
        alarms: [{ memberID: 2, alarm: 'NOSPACE' }],
        downgrade: { enabled: true, targetVersion: 'x' },
        revision: 7,
        sizes_stale: true,
      },
    });
    const status = '0805' + '1004' + '1803' + '2204' + '08021001' + '2a05' + '08011201' + '78' + '3007' + '3801';
    assert.equal(Buffer.from(bytes).toString('hex'), '1217' + status);
    const back = maintenanceCodecs.maintenanceReply.decode(bytes);
    assert.equal(back.result, 'status');
    assert.deepEqual(back.status!.alarms, [{ memberID: '2', alarm: 'NOSPACE' }]);
    assert.equal(back.status!.db_size, '5');
  });

  test('an error reply and a storage reply round-trip', () => {
    const err = maintenanceCodecs.maintenanceReply.decode(maintenanceCodecs.maintenanceReply.encode({ error: { name: 'Timeout', message: 'm' } }));
    assert.equal(err.result, 'error');
    assert.deepEqual(err.error, { name: 'Timeout', message: 'm' });
    const reply = maintenanceCodecs.storageReply.decode(
      maintenanceCodecs.storageReply.encode({ db_size: 1, db_size_in_use: 1, state: { alarms: [], downgrade: { enabled: false, targetVersion: '' } } }),
    );
    assert.deepEqual(reply.state, { alarms: [], downgrade: { enabled: false, targetVersion: '' } });
    const request = maintenanceCodecs.storageRequest.decode(maintenanceCodecs.storageRequest.encode({ save_state: { alarms: [{ memberID: '9', alarm: 'CORRUPT' }], downgrade: null } }));
    assert.equal(request.op, 'save_state');
    assert.deepEqual(request.save_state!.alarms, [{ memberID: '9', alarm: 'CORRUPT' }]);
  });

  test('a backup file starts with its format string, so a foreign file is recognised', () => {
    const bytes = maintenanceCodecs.backupFile.encode({
      format: backupFormat,
      format_version: 1,
      schema_version: 2,
      revision: 10,
      compact_revision: -1,
      created_unix_ms: 1,
      rows: [{ table: 'eckd_meta', row_count: 1, rows_json: Buffer.from('[{"key":"k","value":"v"}]') }],
    });
    assert.equal(Buffer.from(bytes).subarray(0, 13).toString('hex'), '0a0b' + Buffer.from('eckd-backup').toString('hex'));
    const back = maintenanceCodecs.backupFile.decode(bytes);
    assert.equal(back.compact_revision, '-1');
    assert.equal(Buffer.from(back.rows[0]!.rows_json).toString(), '[{"key":"k","value":"v"}]');
  });

  test('an encoded backup file is a multiple of 512 bytes, whatever its content, and decodes as it was', () => {
    for (let n = 0; n < 1100; n += 7) {
      const file = {
        format: backupFormat, format_version: 1, schema_version: 2, revision: n, compact_revision: -1, created_unix_ms: 1,
        rows: [{ table: 'eckd_log', row_count: 1, rows_json: Buffer.alloc(n, 0x61) }],
      };
      const bytes = encodeBackupFile(file);
      assert.equal(bytes.length % backupSectorBytes, 0, `content of ${n} bytes`);
      const back = maintenanceCodecs.backupFile.decode(bytes);
      assert.equal(Buffer.from(back.rows[0]!.rows_json).length, n);
      assert.ok(back.padding!.every((b) => b === 0));
    }
  });

  test('a file written piece by piece (head, rows, padding) decodes as the whole file', () => {
    const head = { format: backupFormat, format_version: 1, schema_version: 2, revision: 9, compact_revision: -1, created_unix_ms: 1 };
    const rows = [200, 70_000, 3].map((n, i) => ({ table: `eckd_t${i}`, row_count: i + 1, rows_json: Buffer.alloc(n, 0x62) }));
    const pieces = [encodeBackupFileHead(head), ...rows.map(encodeBackupFileRows)];
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const streamed = Buffer.concat([...pieces, encodeBackupFilePadding(length)]);
    assert.equal(streamed.length % backupSectorBytes, 0);
    const back = maintenanceCodecs.backupFile.decode(streamed);
    assert.equal(back.revision, '9');
    assert.deepEqual(back.rows.map((r) => [r.table, r.row_count, r.rows_json.length]), [['eckd_t0', 1, 200], ['eckd_t1', 2, 70_000], ['eckd_t2', 3, 3]]);
    assert.deepEqual(streamed, Buffer.from(encodeBackupFile({ ...head, rows })));
    assert.deepEqual(streamed.subarray(0, length), Buffer.from(maintenanceCodecs.backupFile.encode({ ...head, rows })), "the pieces are protobuf's own encoding");
  });

  test('malformed bytes are refused', () => {
    assert.throws(() => maintenanceCodecs.backupChunk.decode(Buffer.from([0x22, 0x09, 0x01])), WireDecodeError);
    assert.throws(() => maintenanceCodecs.maintenanceReply.decode(Buffer.from([0x12, 0x7f])), WireDecodeError);
  });
});
