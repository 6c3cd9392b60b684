export { AckTracker, AckTrackerError } from './ack-tracker.js';
export type { AckRequirement } from './ack-tracker.js';
