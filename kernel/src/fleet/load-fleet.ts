// Reads a fleet repository (any FleetReader), parses and validates every file once, and returns
// frozen, typed data for the resolver, or every problem found.
import { validate as validCron } from 'node-cron';
import { FerryError, InvalidInputError } from '../errors.js';
import type { Problem } from '../problem.js';
import type { SchemaValidator } from '../validate.js';
import { parseYamlFile, type YamlFile } from '../yaml-file.js';
import type { FleetReader } from '../source/fleet-reader.js';
import type { DeviceFacts } from './desired-state.js';
import type {
  Deployment,
  DeviceFile,
  FleetFile,
  LoadedDevice,
  LoadedFleet,
  LoadedStack,
} from './fleet-model.js';
import { ProblemSink } from './problem-sink.js';
import { fileProblem, loadStack, withoutInvalid, type Parse } from './load-stack.js';
import { repoPath } from './repo-path.js';
import { deviceLabels, targets } from './targets.js';

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Only what one device needs: its own device file, and the stacks of the deployments that target
 * it. A gateway's pass then reads and parses the same few files in a fleet of 10 or 10,000
 * devices (`ferry validate` loads everything).
 */
export interface DeviceScope {
  readonly device: string;
  readonly facts: DeviceFacts;
}

/** What each loading step needs: where files come from, how they parse, where problems go. */
interface Loading {
  readonly reader: FleetReader;
  readonly validator: SchemaValidator;
  readonly parse: ReturnType<typeof parserFor>;
  readonly problems: Problem[];
  readonly scope: DeviceScope | undefined;
}

/** Loads and validates a fleet; throws InvalidInputError listing every problem in it. */
export async function loadFleet(
  reader: FleetReader,
  validator: SchemaValidator,
  scope?: DeviceScope,
): Promise<LoadedFleet> {
  const { fleet, problems } = await loadFleetReport(reader, validator, scope);
  if (problems.length > 0 || !fleet) throw new InvalidInputError(problems);
  return fleet;
}

/**
 * Loads a fleet and every problem in it. A compose file that breaks the schema is kept without the
 * offending keys, so `ferry validate` goes on to check the rest (variables, references, policy)
 * and reports everything in one run. `fleet` is missing only when fleet.yaml itself is unusable.
 */
export async function loadFleetReport(
  reader: FleetReader,
  validator: SchemaValidator,
  scope?: DeviceScope,
): Promise<{ fleet?: LoadedFleet; problems: Problem[] }> {
  const problems: Problem[] = [];
  const loading: Loading = {
    reader,
    validator,
    parse: parserFor(reader, validator, problems),
    problems,
    scope,
  };
  const fleetYaml = await loading.parse('fleet.yaml', 'fleet');
  if (!fleetYaml) {
    if (problems.length === 0)
      problems.push(fileProblem('fleet.yaml', 'no fleet.yaml at the fleet root'));
    return { problems };
  }
  const sink = new ProblemSink(fleetYaml);
  const { fleet, stackPaths } = checkDeployments(fleetYaml.value as FleetFile, sink);
  problems.push(...sink.problems);

  const devices = await loadDevices(loading);
  // With a scope, only the deployments that target the device are read any further.
  const wanted = (deployment: Deployment) =>
    !scope ||
    targets(deployment, scope.device, deviceLabels(devices.get(scope.device), scope.facts));
  const stacks = new Map<string, LoadedStack>();
  const wantedStacks = new Set(
    fleet.deployments.filter(wanted).map((d) => repoPath(d.stack) ?? ''),
  );
  const unreadable = new Set<string>();
  for (const stackPath of stackPaths.filter((path) => wantedStacks.has(path))) {
    const before = problems.length;
    const stack = await loadStack(reader, stackPath, loading.parse, problems, '');
    if (stack) stacks.set(stackPath, stack);
    else if (problems.length > before) unreadable.add(stackPath);
  }
  const previousStacks = await loadPreviousStacks(loading, fleet, fleetYaml, wanted);
  const loaded = {
    revision: reader.revision,
    fleetYaml,
    fleet,
    devices,
    stacks,
    previousStacks,
    ...(unreadable.size > 0 ? { unreadable } : {}),
  };
  return { fleet: Object.freeze(loaded), problems };
}

/** Device files: every one in `devices/`, or with a scope only the device's own, by path. */
async function loadDevices(loading: Loading): Promise<Map<string, LoadedDevice>> {
  const { parse, problems, scope } = loading;
  const devices = new Map<string, LoadedDevice>();
  const addDevice = async (name: string): Promise<boolean> => {
    const id = name.replace(/\.ya?ml$/, '');
    if (id === name) return false;
    const file = `devices/${name}`;
    if (!DEVICE_ID.test(id)) {
      problems.push(
        fileProblem(file, `'${id}' is not a valid device id (letters, digits, '.', '_', '-')`),
      );
      return false;
    }
    const yaml = await parse(file, 'device');
    if (yaml) {
      const spec = deepFrozen(structuredClone(yaml.value ?? {}) as DeviceFile);
      devices.set(id, Object.freeze({ id, file, yaml, spec }));
    }
    return yaml !== undefined;
  };
  if (scope) {
    for (const name of [`${scope.device}.yaml`, `${scope.device}.yml`])
      if (await addDevice(name)) break;
  } else {
    for (const name of await loading.reader.listFolder('devices')) await addDevice(name);
  }
  return devices;
}

/** The stacks of `rollout.previous` revisions (read as data from older commits), by revision. */
async function loadPreviousStacks(
  loading: Loading,
  fleet: FleetFile,
  fleetYaml: YamlFile,
  wanted: (deployment: Deployment) => boolean,
): Promise<Map<string, Map<string, LoadedStack>>> {
  const { problems } = loading;
  const previousStacks = new Map<string, Map<string, LoadedStack>>();
  for (const [index, deployment] of fleet.deployments.entries()) {
    const previous = deployment.rollout?.previous;
    const stackPath = repoPath(deployment.stack);
    if (previous === undefined || stackPath === undefined || !wanted(deployment)) continue;
    const atPrevious = await loading.reader.atRevision(previous).catch((error: unknown) => {
      const sink = new ProblemSink(fleetYaml);
      sink.add(
        ['deployments', index, 'rollout', 'previous'],
        error instanceof Error ? error.message : String(error),
      );
      problems.push(...sink.problems);
      return undefined;
    });
    if (!atPrevious) continue;
    const byPath = previousStacks.get(previous) ?? new Map<string, LoadedStack>();
    previousStacks.set(previous, byPath);
    const parse = parserFor(atPrevious, loading.validator, problems);
    const stack = await loadStack(atPrevious, stackPath, parse, problems, `@${previous}`);
    if (stack) byPath.set(stackPath, stack);
  }
  return previousStacks;
}

/**
 * Unique names and stack paths inside the repository. Returns the fleet with each deployment's
 * stack as a normalised repository path (the resolver looks stacks up by it), deep-frozen: nothing
 * after validation changes it, and the stack paths to load.
 */
function checkDeployments(
  parsed: FleetFile,
  sink: ProblemSink,
): { fleet: FleetFile; stackPaths: string[] } {
  const names = new Set<string>();
  const stackPaths = new Set<string>();
  const deployments = parsed.deployments.map((deployment, index) => {
    if (names.has(deployment.name))
      sink.add(
        ['deployments', index, 'name'],
        `deployment name '${deployment.name}' is used twice`,
      );
    names.add(deployment.name);
    if (deployment.window && !validCron(deployment.window.cron)) {
      sink.add(
        ['deployments', index, 'window', 'cron'],
        `'${deployment.window.cron}' is not a cron expression`,
      );
    }
    const stackPath = repoPath(deployment.stack);
    if (stackPath === undefined) {
      sink.add(
        ['deployments', index, 'stack'],
        `stack '${deployment.stack}' is outside the repository`,
      );
      return deployment;
    }
    stackPaths.add(stackPath);
    return { ...deployment, stack: stackPath };
  });
  const fleet = deepFrozen(structuredClone({ ...parsed, deployments }));
  return { fleet, stackPaths: [...stackPaths] };
}

function deepFrozen<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value;
}

/** Reads, parses and validates one file; its problems go to `problems`, shown under `label`. */
function parserFor(reader: FleetReader, validator: SchemaValidator, problems: Problem[]): Parse {
  return async (path, schema, label = path) => {
    try {
      const text = await reader.readFile(path);
      if (text === undefined) return undefined;
      const yaml = parseYamlFile(label, text);
      const found = validator.validate(schema, yaml);
      problems.push(...found);
      if (found.length === 0) return yaml;
      return schema === 'compose' ? withoutInvalid(yaml, validator) : undefined;
    } catch (error) {
      problems.push(...problemsOf(error, label));
      return undefined;
    }
  };
}

function problemsOf(error: unknown, file: string): Problem[] {
  if (error instanceof InvalidInputError) return [...error.problems];
  if (error instanceof FerryError)
    return [fileProblem(file, error.message.replace(`${file}: `, ''))];
  throw error;
}
