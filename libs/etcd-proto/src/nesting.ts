// How deep protobuf messages may nest when eckd decodes or encodes them.
// protobufjs stops at 100 nested messages (protoc's default), but etcd runs
// Txns nested as deep as the 128-op budget allows: two messages per level
// (TxnRequest → RequestOp), plus the envelope a proposal adds on NATS
// (ProposeRequest → Proposal → RequestOp). A deeper request fails to decode,
// as it would in any protobuf decoder with a limit; nothing is applied.
import protobuf from 'protobufjs';

/** 128 Txn levels of two messages each, plus room for the NATS envelope and the response. */
export const messageNestingMax = 2 * 128 + 16;

protobuf.util.recursionLimit = messageNestingMax;
protobuf.Reader.recursionLimit = messageNestingMax;
