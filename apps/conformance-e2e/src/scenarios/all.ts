// Every scenario group, in the order the spec files run them; used by the
// table checks and to count scenarios per area for docs/CONFORMANCE.md.
import type { ScenarioGroup } from '../harness/scenario.js';
import { compactScenarios } from './compact.js';
import { deleteScenarios } from './delete.js';
import { edgeCompaction, edgeEmptyFields, edgeLeases, edgeRevisions, edgeShapes } from './edge-values.js';
import { headerScenarios } from './headers.js';
import { leaseScenarios } from './lease.js';
import { limitScenarios } from './limits.js';
import { putScenarios } from './put.js';
import { rangeKeys } from './range-keys.js';
import { rangeLimits } from './range-limits.js';
import { rangeRevision } from './range-revision.js';
import { rangeSort } from './range-sort.js';
import { txnCompare } from './txn-compare.js';
import { txnOps } from './txn-ops.js';
import { txnValidation } from './txn-validation.js';

export const rangeGroups: readonly ScenarioGroup[] = [rangeKeys, rangeLimits, rangeSort];
export const writeGroups: readonly ScenarioGroup[] = [putScenarios, deleteScenarios, rangeRevision, headerScenarios];
export const txnGroups: readonly ScenarioGroup[] = [txnCompare, txnOps, txnValidation];
// Compaction changes what later scenarios can read: these get servers of their own.
export const compactGroups: readonly ScenarioGroup[] = [compactScenarios, limitScenarios];

export const leaseGroups: readonly ScenarioGroup[] = [leaseScenarios];

// docs/ROBUSTNESS.md's edge values; the compaction ones run last (robustness.spec.ts), they change what can be read.
export const edgeGroups: readonly ScenarioGroup[] = [edgeRevisions, edgeLeases, edgeShapes, edgeEmptyFields];
export const edgeCompactGroups: readonly ScenarioGroup[] = [edgeCompaction];

export const allGroups: readonly ScenarioGroup[] = [...rangeGroups, ...writeGroups, ...txnGroups, ...compactGroups, ...leaseGroups, ...edgeGroups, ...edgeCompactGroups];
