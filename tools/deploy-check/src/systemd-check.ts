// deploy/systemd: a unit per app and a target; each unit runs the app's
// bundle, restarts it, reads its env files and is hardened. Where
// systemd-analyze is installed, it verifies the units as systemd would.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deployedApps } from './deployed-apps.js';

export const systemdTarget = 'eckd.target';
export const unitName = (app: string): string => `eckd-${app}.service`;

const hardening = ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'RestrictAddressFamilies=', 'SystemCallFilter='];

export function checkUnit(app: string, text: string): string[] {
  const problems: string[] = [];
  const has = (line: string) => text.split('\n').some((l) => l.startsWith(line));
  if (!new RegExp(`^ExecStart=\\S*node .*apps/${app}/dist/main\\.js`, 'm').test(text)) problems.push(`${unitName(app)} does not run apps/${app}/dist/main.js`);
  if (!/^Restart=(always|on-failure)$/m.test(text)) problems.push(`${unitName(app)} has no Restart=`);
  for (const file of ['/etc/eckd/eckd.env', `/etc/eckd/${app}.env`]) if (!has(`EnvironmentFile=${file}`)) problems.push(`${unitName(app)} does not read ${file}`);
  if (!has('User=') || has('User=root')) problems.push(`${unitName(app)} runs as root`);
  for (const option of hardening) if (!has(option)) problems.push(`${unitName(app)} lacks ${option}`);
  if (!has('PartOf=eckd.target') || !has('WantedBy=eckd.target')) problems.push(`${unitName(app)} is not part of ${systemdTarget}`);
  return problems;
}

export function checkTarget(text: string): string[] {
  return deployedApps.filter((app) => !text.includes(unitName(app))).map((app) => `${systemdTarget} does not want ${unitName(app)}`);
}

/** `systemd-analyze verify` on every unit, or nothing when it is not installed. */
export function verifyWithSystemd(systemdDir: string): { ran: boolean; problems: string[] } {
  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
  if (analyze === undefined) return { ran: false, problems: [] };
  const units = [...deployedApps.map(unitName), systemdTarget].map((u) => join(systemdDir, u));
  // It warns (unknown keys, keys in the wrong section) on stderr and may still exit 0.
  const result = spawnSync(analyze, ['verify', ...units], { encoding: 'utf8' });
  const said = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status === 0 && said === '') return { ran: true, problems: [] };
  return { ran: true, problems: [`systemd-analyze verify (exit ${result.status}): ${said || String(result.error)}`] };
}
