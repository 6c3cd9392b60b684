// A Dockerfile read into stages and instructions: enough to check what an
// image is built from and what it runs, without a Docker engine.
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (pending === '' && /^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    const line = (pending + raw).trim();
    pending = '';
    if (line !== '' && !line.startsWith('#')) lines.push(line);
  }
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push({ keyword: upper, args: args.replace(/\s+/g, ' ').trim() });
    }
  }
  return stages;
}

/** The exec-form (JSON array) arguments of an instruction, or undefined for the shell form. */
export function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (instruction === undefined || !instruction.args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(instruction.args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
}

export function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
