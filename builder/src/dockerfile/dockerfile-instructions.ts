// A Dockerfile as a list of instructions, each with the line it starts on: continuation lines
// joined, comments and blank lines dropped, heredoc bodies (`RUN <<EOF ... EOF`) kept with their
// instruction. A small reader of our own: no maintained npm package parses Dockerfiles.

export interface DockerfileInstruction {
  /** Upper-cased keyword, e.g. `RUN`. */
  readonly keyword: string;
  readonly args: string;
  /** 1-based line the instruction starts on. */
  readonly line: number;
  /** The heredoc terminators it opened (`<<EOF` -> `EOF`); BuildKit syntax. */
  readonly heredocs: readonly string[];
}

const HEREDOC = /<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g;

export function dockerfileInstructions(text: string): DockerfileInstruction[] {
  const out: DockerfileInstruction[] = [];
  const lines = text.split(/\r?\n/);
  let pending = '';
  let start = 0;
  const push = (full: string) => {
    const match = /^(\S+)\s*(.*)$/.exec(full.trim());
    if (!match) return [];
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!;
    const heredocs = ['RUN', 'COPY', 'ADD'].includes(keyword)
      ? [...args.matchAll(HEREDOC)].map((m) => m[2]!)
      : [];
    out.push({ keyword, args, line: start + 1, heredocs });
    return heredocs;
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue;
    if (pending === '') start = index;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const terminators = push(pending + line);
    pending = '';
    // A heredoc body runs to its terminator line; its lines are not instructions.
    for (const end of terminators) {
      while (index + 1 < lines.length && lines[index + 1]!.trim() !== end) index += 1;
      index += 1;
    }
  }
  if (pending.trim()) push(pending);
  return out;
}
