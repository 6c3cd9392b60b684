// The node's maintenance state as etcd 3.6 changes it: the alarm store
// (apply.go Alarm, alarm/alarms.go) and the downgrade flag
// (version/version.go). Pure: each operation takes a state and returns the
// response and, when something changed, the new state to persist.
import type { AlarmMemberMessage, MaintenanceState } from '@eckd/change-codec';

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
const alarmTypes: readonly AlarmType[] = ['NONE', 'NOSPACE', 'CORRUPT'];

export interface AlarmMember {
  memberID: string;
  alarm: AlarmType;
}

export interface AlarmOutcome {
  alarms: AlarmMember[];
  /** the new state when the operation changed it */
  next?: MaintenanceState;
}

export function alarmTypeOf(value: unknown): AlarmType {
  if (typeof value === 'number') return alarmTypes[value] ?? 'NONE';
  return alarmTypes.includes(value as AlarmType) ? (value as AlarmType) : 'NONE';
}

export function membersOf(state: MaintenanceState): AlarmMember[] {
  return state.alarms.map((a) => ({ memberID: String(a.memberID), alarm: alarmTypeOf(a.alarm) }));
}

export function hasAlarm(state: MaintenanceState, alarm: AlarmType): boolean {
  return membersOf(state).some((a) => a.alarm === alarm);
}

/** GET: every alarm of a type (NONE: all), in a stable order (type, then member id). */
export function getAlarms(state: MaintenanceState, alarm: AlarmType): AlarmMember[] {
  return sorted(membersOf(state).filter((a) => alarm === 'NONE' || a.alarm === alarm));
}

/** ACTIVATE: adds the alarm if it is new; answers it either way. etcd 3.5+ ignores NONE. */
export function activateAlarm(state: MaintenanceState, memberID: string, alarm: AlarmType): AlarmOutcome {
  if (alarm === 'NONE') return { alarms: [] };
  const members = membersOf(state);
  const existing = members.find((a) => a.memberID === memberID && a.alarm === alarm);
  if (existing) return { alarms: [existing] };
  const added = { memberID, alarm };
  return { alarms: [added], next: { ...state, alarms: toMessages(sorted([...members, added])) } };
}

/** DEACTIVATE: removes exactly that member's alarm; answers it, or nothing if there was none. */
export function deactivateAlarm(state: MaintenanceState, memberID: string, alarm: AlarmType): AlarmOutcome {
  const members = membersOf(state);
  const i = members.findIndex((a) => a.memberID === memberID && a.alarm === alarm);
  if (i === -1) return { alarms: [] };
  const removed = members[i]!;
  return { alarms: [removed], next: { ...state, alarms: toMessages(members.filter((_, j) => j !== i)) } };
}

export type DowngradeAction = 'VALIDATE' | 'ENABLE' | 'CANCEL';

/**
 * A downgrade the frontend already validated (format, allowed target): with
 * one in progress VALIDATE and ENABLE fail; CANCEL of none succeeds (3.6
 * only logs it).
 */
export function downgrade(state: MaintenanceState, action: DowngradeAction, targetVersion: string): { error?: 'DowngradeInProcess'; next?: MaintenanceState } {
  const enabled = state.downgrade?.enabled === true;
  if (action === 'CANCEL') return enabled ? { next: { ...state, downgrade: { enabled: false, targetVersion: '' } } } : {};
  if (enabled) return { error: 'DowngradeInProcess' };
  return action === 'ENABLE' ? { next: { ...state, downgrade: { enabled: true, targetVersion } } } : {};
}

function sorted(members: AlarmMember[]): AlarmMember[] {
  const rank = (a: AlarmMember) => alarmTypes.indexOf(a.alarm);
  return members.slice().sort((a, b) => rank(a) - rank(b) || compareIds(a.memberID, b.memberID));
}

function compareIds(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function toMessages(members: AlarmMember[]): AlarmMemberMessage[] {
  return members.map((m) => ({ memberID: m.memberID, alarm: m.alarm }));
}
