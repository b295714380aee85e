// One stack of the fleet as the loader reads it: its compose file (kept without what breaks the
// schema, so the remaining checks still run), its env files and the files it ships.
import type { SchemaValidator } from '../validate.js';
import type { YamlFile } from '../yaml-file.js';
import type { Problem } from '../problem.js';
import type { FleetReader } from '../source/fleet-reader.js';
import { envFilesOf } from './compose-fields.js';
import type { ComposeFile } from './compose-model.js';
import { parseEnvFile } from './env-file.js';
import type { EnvFileEntry, LoadedStack } from './fleet-model.js';
import { ProblemSink } from './problem-sink.js';
import { repoJoin } from './repo-path.js';
import { loadStackFiles } from './stack-files.js';

export type SchemaOfFile = 'fleet' | 'device' | 'compose';
export type Parse = (
  path: string,
  schema: SchemaOfFile,
  label?: string,
) => Promise<YamlFile | undefined>;

export async function loadStack(
  reader: FleetReader,
  stackPath: string,
  parse: Parse,
  problems: Problem[],
  suffix: string,
): Promise<LoadedStack | undefined> {
  const file = await composeFileOf(reader, stackPath);
  const yaml = await parse(file, 'compose', `${file}${suffix}`);
  if (!yaml) {
    if (!problems.some((p) => p.file === `${file}${suffix}`))
      problems.push(fileProblem(`${file}${suffix}`, `no compose.yaml in stack '${stackPath}'`));
    return undefined;
  }
  const sink = new ProblemSink(yaml);
  const dotEnv = await readEnvFile(reader, `${stackPath}/.env`, suffix, problems);
  const envFiles = new Map<string, EnvFileEntry[]>();
  // The schema has admitted the file: from here on it is read as its type.
  const compose = yaml.value as ComposeFile;
  for (const [name, service] of Object.entries(compose.services)) {
    for (const { path: envFile, required, at: where } of envFilesOf(service.env_file)) {
      const at = ['services', name, ...where];
      const path = repoJoin(stackPath, envFile);
      if (path === undefined) {
        sink.add(at, `env file '${envFile}' is outside the repository`);
        continue;
      }
      const entries = await readEnvFile(reader, path, suffix, problems);
      if (entries === undefined) {
        if (required) sink.add(at, `env file '${envFile}' not found`);
        continue;
      }
      envFiles.set(envFile, entries);
    }
  }
  const files = await loadStackFiles(reader, stackPath, compose, sink);
  problems.push(...sink.problems);
  return Object.freeze({
    path: stackPath,
    file: `${file}${suffix}`,
    yaml,
    compose,
    envFiles,
    ...(dotEnv ? { dotEnv: Object.fromEntries(dotEnv.map((e) => [e.key, e.value])) } : {}),
    files,
  });
}

/** The stack's compose file, by the names Compose looks for, in its order. */
const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

async function composeFileOf(reader: FleetReader, stackPath: string): Promise<string> {
  for (const name of COMPOSE_NAMES)
    if ((await reader.kindOf(`${stackPath}/${name}`).catch(() => undefined)) !== undefined)
      return `${stackPath}/${name}`;
  return `${stackPath}/compose.yaml`;
}

async function readEnvFile(
  reader: FleetReader,
  path: string,
  suffix: string,
  problems: Problem[],
): Promise<EnvFileEntry[] | undefined> {
  const text = await reader.readFile(path).catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseEnvFile(text);
  for (const error of parsed.errors)
    problems.push({
      file: `${path}${suffix}`,
      line: error.line,
      col: 1,
      path: '',
      message: error.message,
    });
  return parsed.entries;
}

/**
 * The file with what breaks the schema taken out (a service's offending key, a top-level entry),
 * for the checks that follow; its problems are already reported. Undefined if that is not enough.
 */
export function withoutInvalid(yaml: YamlFile, validator: SchemaValidator): YamlFile | undefined {
  const value = structuredClone(yaml.value) as Record<string, unknown>;
  for (let round = 0; round < 5; round += 1) {
    const paths = validator.invalidPaths('compose', value);
    if (paths.length === 0) return { ...yaml, value };
    for (const path of paths) removeAt(value, path.slice(0, path[0] === 'services' ? 3 : 2));
  }
  return undefined;
}

function removeAt(root: Record<string, unknown>, path: readonly (string | number)[]): void {
  if (path.length === 0) return;
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[String(key)];
  }
  if (node !== null && typeof node === 'object')
    delete (node as Record<string, unknown>)[String(path.at(-1))];
}

export function fileProblem(file: string, message: string): Problem {
  return { file, line: 1, col: 1, path: '', message };
}
