// What the engine's classic builder cannot build, found before the engine is asked, with the line:
// BuildKit-only syntax (`RUN --mount`, heredocs, `COPY --link` ...) and unknown instructions.
// Ferry builds with the classic builder because the engine API (dockerode) cannot open the
// session BuildKit needs; docs/builder.md says so and what to write instead.
import type { DockerfileInstruction } from './dockerfile-instructions.js';

export interface DockerfileProblem {
  readonly line: number;
  readonly message: string;
}

const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'MAINTAINER',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/** Flags only BuildKit understands, per instruction, with what to write instead. */
const BUILDKIT_FLAGS: Record<string, Record<string, string>> = {
  RUN: {
    mount: 'install in the RUN step itself, or COPY what it needs first',
    network: 'drop the flag (the classic builder runs steps on the default network)',
    security: 'drop the flag',
  },
  COPY: {
    link: 'drop the flag (Ferry already keeps unchanged layers)',
    chmod: 'set the mode in the build context, or RUN chmod after the COPY',
    parents: 'COPY each folder to its place',
    exclude: 'leave the files out of the build context',
  },
  ADD: {
    link: 'drop the flag',
    chmod: 'RUN chmod after the ADD',
    checksum: 'COPY a file committed to the repository instead',
    'keep-git-dir': 'COPY a folder committed to the repository instead',
  },
};

function flagsOf(args: string): string[] {
  const flags: string[] = [];
  for (const word of args.split(/\s+/)) {
    const match = /^--([a-z-]+)/.exec(word);
    if (!match) break;
    flags.push(match[1]!);
  }
  return flags;
}

export function classicBuilderProblems(
  instructions: readonly DockerfileInstruction[],
): DockerfileProblem[] {
  const problems: DockerfileProblem[] = [];
  for (const { keyword, args, line, heredocs } of instructions) {
    if (!KEYWORDS.has(keyword)) {
      problems.push({ line, message: `unknown instruction '${keyword}'` });
      continue;
    }
    if (heredocs.length > 0)
      problems.push({
        line,
        message: `${keyword} with a heredoc (<<${heredocs[0]}) needs BuildKit, which Ferry's builder does not use: put the script in a file and COPY it`,
      });
    for (const flag of flagsOf(args)) {
      const instead = BUILDKIT_FLAGS[keyword]?.[flag];
      if (instead)
        problems.push({
          line,
          message: `${keyword} --${flag} needs BuildKit, which Ferry's builder does not use: ${instead}`,
        });
    }
  }
  if (!instructions.some((i) => i.keyword === 'FROM'))
    problems.push({ line: 1, message: 'no FROM instruction' });
  return problems;
}

/**
 * The instruction a classic-builder step number (`Step 7/12 : ...`) names: the engine counts every
 * instruction from the top, ARGs before the first FROM included.
 */
export function instructionOfStep(
  instructions: readonly DockerfileInstruction[],
  step: number,
): DockerfileInstruction | undefined {
  return instructions[step - 1];
}
