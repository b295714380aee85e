// builder.yaml: read, validated against schema/builder.schema.json (filling defaults).
import { readConfigFile } from '#kernel/config-file.js';
import type { AuthConfig } from '#kernel/read-credentials.js';
import { parseDuration } from '#kernel/duration.js';
import { InvalidInputError } from '#kernel/errors.js';
import type { SchemaValidator } from '#kernel/validate.js';

export interface WatchedRepository {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly path: string;
  readonly pinBranch?: string;
  readonly platforms: readonly string[];
  readonly author: string;
  readonly auth?: AuthConfig;
}

export interface BuilderConfig {
  readonly workDir: string;
  readonly intervalMs: number;
  readonly webhook?: { readonly listen: string; readonly tokenFile?: string };
  readonly repositories: readonly WatchedRepository[];
}

export async function loadBuilderConfig(
  file: string,
  validator: SchemaValidator,
): Promise<BuilderConfig> {
  const yaml = await readConfigFile(file, 'builder', validator);
  const raw = yaml.value as Omit<BuilderConfig, 'intervalMs'> & { interval: string };
  const names = raw.repositories.map((r) => r.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) {
    const at = yaml.locate(['repositories', names.lastIndexOf(twice), 'name']);
    throw new InvalidInputError([
      { file, ...at, path: 'repositories', message: `repository name '${twice}' is used twice` },
    ]);
  }
  const { interval, ...rest } = raw;
  return { ...rest, intervalMs: parseDuration(interval) ?? 30_000 };
}
