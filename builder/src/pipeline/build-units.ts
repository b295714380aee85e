// What `ferry build` has to build: every service with `build:` in the stacks the fleet deploys,
// with its context and Dockerfile as repository paths. Services that build the same image the
// same way are one unit, built once.
import { builtImageName } from '#kernel/fleet/built-image.js';
import { parseComposeBuild } from '#kernel/fleet/compose-build.js';
import type { LoadedFleet, LoadedStack } from '#kernel/fleet/fleet-model.js';
import { ProblemSink } from '#kernel/fleet/problem-sink.js';
import { InvalidInputError } from '#kernel/errors.js';
import { repositoryKey } from '../pin/pin-compose.js';

export interface BuildUnit {
  /** The compose file's stack folder (relative to the fleet root). */
  readonly stack: string;
  /** Services that build this image. */
  readonly services: readonly string[];
  /** The image as written (without digest), e.g. `127.0.0.1:5101/bms/collector`. */
  readonly image: string;
  /** `host/repository`. */
  readonly repository: string;
  /** Context and Dockerfile, relative to the fleet root. */
  readonly context: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platforms: readonly string[];
  /** The digest the compose file pins now, if any. */
  readonly previous?: string;
}

function unitsOfStack(
  stack: LoadedStack,
  defaultPlatforms: readonly string[],
  sink: ProblemSink,
  registry: string | undefined,
): BuildUnit[] {
  const services = stack.compose.services;
  const units = new Map<string, BuildUnit>();
  for (const [name, service] of Object.entries(services)) {
    if (service.build === undefined) continue;
    const at = ['services', name, 'build'];
    const parsed = parseComposeBuild(service.build, stack.path);
    const image = service.image ?? (registry ? builtImageName(registry, stack.path, name) : '');
    if (image === '') {
      sink.add(
        ['services', name],
        'a service that builds needs image: REGISTRY/NAME (where the image is pushed), or defaults.registry in fleet.yaml',
      );
      continue;
    }
    if (image.includes('$')) {
      sink.add(
        ['services', name, 'image'],
        'the image of a built service cannot use ${VARIABLES}: it is built once for every device',
      );
      continue;
    }
    if ('error' in parsed) {
      sink.add([...at, 'context'], parsed.error);
      continue;
    }
    const build = parsed.ok;
    const { context, dockerfilePath: dockerfile } = build;
    const buildArgs = literalArgs(build.args, at, sink);
    const [bare = image, previous] = image.split('@');
    const unit: BuildUnit = {
      stack: stack.path,
      services: [name],
      image: bare,
      repository: repositoryKey(bare),
      context,
      dockerfile,
      buildArgs,
      ...(build.target ? { target: build.target } : {}),
      platforms: build.platforms?.length ? build.platforms : defaultPlatforms,
      ...(previous ? { previous } : {}),
    };
    const same = units.get(unit.repository);
    if (!same) units.set(unit.repository, unit);
    else if (
      JSON.stringify({ ...same, services: [] }) === JSON.stringify({ ...unit, services: [] })
    )
      units.set(unit.repository, { ...same, services: [...same.services, name] });
    else sink.add(at, `builds ${unit.repository} differently from service '${same.services[0]}'`);
  }
  return [...units.values()];
}

/** Build args as given; one that uses a variable is a problem (the image is built once). */
function literalArgs(
  args: Readonly<Record<string, string | null>>,
  at: (string | number)[],
  sink: ProblemSink,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === null) continue;
    if (value.includes('$')) {
      sink.add(
        [...at, 'args', key],
        'build args cannot use ${VARIABLES}: the image is built once for every device',
      );
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Every build unit of the fleet's deployed stacks; InvalidInputError lists what is wrong. */
export function buildUnits(fleet: LoadedFleet, defaultPlatforms: readonly string[]): BuildUnit[] {
  const stacks = [...new Set(fleet.fleet.deployments.map((d) => d.stack))].sort();
  const units: BuildUnit[] = [];
  const problems = [];
  for (const path of stacks) {
    const stack = fleet.stacks.get(path);
    if (!stack) continue;
    const sink = new ProblemSink(stack.yaml);
    units.push(...unitsOfStack(stack, defaultPlatforms, sink, fleet.fleet.defaults?.registry));
    problems.push(...sink.problems);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return units;
}
