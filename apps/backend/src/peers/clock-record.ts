// This member's clock record (docs/ARCHITECTURE.md §8.10, the tombstone
// floor): its HLC written into the document once per lineage, in the first
// batch after its start and in the first after each switch to a new
// lineage. The value is taken from the clock itself (`next()`), so every tag
// this member gives afterwards is higher: a cut's base may leave out
// tombstones below the lowest member's record, because every write that can
// still reach the new lineage beats them anyway.
import { memberIdHexOf } from '@eckd/automerge-doc';
import type { NodeState } from '../write-application.js';

export class ClockRecordWriter {
  readonly #selfIdHex: string;
  /** the lineage id this member last wrote its record on */
  #writtenOn: string | undefined;

  /** `selfId`: this member's id (decimal). */
  constructor(selfId: string) {
    this.#selfIdHex = memberIdHexOf(selfId);
  }

  /** In a batch, before its proposals: writes the record unless written on the document's lineage already (single nodes have no clock: nothing). */
  writeIfDue(state: NodeState): void {
    if (!state.clock) return;
    const lineage = state.doc.lineage().id;
    if (this.#writtenOn === lineage) return;
    this.#writtenOn = lineage;
    // A removal is final: a removed member writes nothing more (its floor no longer counts either).
    if (state.doc.members().find((m) => m.id === this.#selfIdHex)?.record.removed) return;
    state.doc.putClockRecord(this.#selfIdHex, state.clock.next().hlc);
  }
}
