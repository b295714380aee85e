// Which image a Dockerfile's final stage starts FROM. The builder keeps that base image's layers
// byte for byte (devices may already hold them from elsewhere) and normalises only the layers the
// build adds on top. A small reader of our own: the FROM line needs ARG substitution and stage
// names, and no maintained npm package parses Dockerfiles for that.
import { dockerfileInstructions } from './dockerfile-instructions.js';

export interface DockerfileStage {
  /** The FROM image after ARG substitution, e.g. `busybox:1.36` or `scratch`. */
  readonly from: string;
  readonly name?: string;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}`, as the Dockerfile spec has them. */
function substitute(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_all, braced: string | undefined, op: string | undefined, word = '', bare?: string) => {
      const value = lookup(braced ?? bare ?? '');
      if (op === '-') return value ? value : word;
      if (op === '+') return value ? word : '';
      return value ?? '';
    },
  );
}

/** Every stage of a Dockerfile, with global ARGs (before the first FROM) and build args applied. */
export function dockerfileStages(
  text: string,
  buildArgs: Readonly<Record<string, string>> = {},
): DockerfileStage[] {
  const globals = new Map<string, string | undefined>();
  const stages: DockerfileStage[] = [];
  for (const { keyword, args } of dockerfileInstructions(text)) {
    if (keyword === 'ARG' && stages.length === 0) {
      for (const word of args.split(/\s+/).filter(Boolean)) {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        globals.set(name, buildArgs[name] ?? (eq < 0 ? undefined : unquote(word.slice(eq + 1))));
      }
    } else if (keyword === 'FROM') {
      const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const from = substitute(words[0] ?? '', (name) => globals.get(name));
      const name = words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
      stages.push({ from, ...(name ? { name } : {}) });
    }
  }
  return stages;
}

/**
 * The image the final stage (or the stage named `target`) builds on, following stage names back
 * to an image; `undefined` for `scratch`.
 */
export function finalBaseImage(
  text: string,
  buildArgs: Readonly<Record<string, string>> = {},
  target?: string,
): string | undefined {
  const stages = dockerfileStages(text, buildArgs);
  let index = target ? stages.findIndex((s) => s.name === target.toLowerCase()) : stages.length - 1;
  for (let hops = 0; index >= 0 && hops <= stages.length; hops += 1) {
    const from = stages[index]!.from;
    const earlier = stages.slice(0, index).findLastIndex((s) => s.name === from.toLowerCase());
    if (earlier < 0) return from.toLowerCase() === 'scratch' ? undefined : from;
    index = earlier;
  }
  return undefined;
}

/** Every image the Dockerfile's stages start FROM (stage names and `scratch` left out). */
export function baseImages(
  text: string,
  buildArgs: Readonly<Record<string, string>> = {},
): string[] {
  const stages = dockerfileStages(text, buildArgs);
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  return [
    ...new Set(
      stages
        .map((s) => s.from)
        .filter((from) => from.toLowerCase() !== 'scratch' && !names.has(from.toLowerCase())),
    ),
  ];
}
