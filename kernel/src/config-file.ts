// A configuration file (ferryd.yaml, builder.yaml, hub.yaml): read, parsed with positions and
// validated against its schema (filling defaults). An unreadable file is FERRY_CONFIG (exit 2);
// an invalid one lists every problem with its line.
import { readFile } from 'node:fs/promises';
import { FerryError, InvalidInputError } from './errors.js';
import type { SchemaName, SchemaValidator } from './validate.js';
import { parseYamlFile, type YamlFile } from './yaml-file.js';

export async function readConfigFile(
  file: string,
  schema: SchemaName,
  validator: SchemaValidator,
): Promise<YamlFile> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FerryError('FERRY_CONFIG', `cannot read ${file}: ${error.code ?? error.message}`, {
      file,
    });
  });
  const yaml = parseYamlFile(file, text);
  const problems = validator.validate(schema, yaml);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return yaml;
}
