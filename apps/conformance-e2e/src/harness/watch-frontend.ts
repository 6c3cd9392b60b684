// Scenarios that need a frontend flag (the progress-notify interval) talk to
// one more etcd-api started with it (libs/testing startExtraFrontend).
export { startExtraFrontend as startFrontendWithFlags } from '@eckd/testing';
export type { ExtraFrontend } from '@eckd/testing';
