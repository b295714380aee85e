// A service's Compose `build:` (a context path, or the long form), read once for everyone that
// needs it: the resolver (DesiredService.build), `ferry build` and `ferry analyze`.
import { keyValues } from './compose-fields.js';
import type { ComposeBuildLong } from './compose-model.js';
import { repoJoin } from './repo-path.js';

export interface ComposeBuild {
  /** The build context, as a path from the repository root. */
  readonly context: string;
  /** The Dockerfile as written (relative to the context), `Dockerfile` by default. */
  readonly dockerfile: string;
  /** The Dockerfile as a path from the repository root. */
  readonly dockerfilePath: string;
  /** Build args as written; `null` for a name given without a value. */
  readonly args: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly platforms: readonly string[];
}

/**
 * `build` of a service in the stack at `stackPath` (the schema has checked its shape), or an error
 * when its context or Dockerfile lies outside the repository.
 */
export function parseComposeBuild(
  build: string | ComposeBuildLong,
  stackPath: string,
): { ok: ComposeBuild } | { error: string } {
  const spec: ComposeBuildLong = typeof build === 'string' ? { context: build } : build;
  const written = spec.context ?? '.';
  const context = repoJoin(stackPath, written);
  const dockerfile = spec.dockerfile ?? 'Dockerfile';
  const dockerfilePath = context === undefined ? undefined : repoJoin(context, dockerfile);
  if (context === undefined || dockerfilePath === undefined)
    return { error: `build context '${written}' and its Dockerfile must be inside the repository` };
  return {
    ok: {
      context,
      dockerfile,
      dockerfilePath,
      args: keyValues(spec.args),
      ...(spec.target === undefined ? {} : { target: spec.target }),
      platforms: spec.platforms ?? [],
    },
  };
}
