// JSON Schema validation (ajv) of parsed YAML, turned into located, readable problems.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import builderSchema from '../../schema/builder.schema.json' with { type: 'json' };
import composeSchema from '../../schema/compose.schema.json' with { type: 'json' };
import deviceSchema from '../../schema/device.schema.json' with { type: 'json' };
import ferrydSchema from '../../schema/ferryd.schema.json' with { type: 'json' };
import fleetSchema from '../../schema/fleet.schema.json' with { type: 'json' };
import hubSchema from '../../schema/hub.schema.json' with { type: 'json' };
import decisionSchema from '../../schema/decision.schema.json' with { type: 'json' };
import operationSchema from '../../schema/operation.schema.json' with { type: 'json' };
import operationResultSchema from '../../schema/operation-result.schema.json' with { type: 'json' };
import reportSchema from '../../schema/report.schema.json' with { type: 'json' };
import { refusalOf } from './fleet/refused-keys.js';
import { formatPath, type Problem } from './problem.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

export type SchemaName =
  | 'fleet'
  | 'device'
  | 'compose'
  | 'ferryd'
  | 'builder'
  | 'hub'
  | 'report'
  | 'operation'
  | 'operation-result'
  | 'decision';

const schemas: Record<SchemaName, object> = {
  fleet: fleetSchema,
  device: deviceSchema,
  compose: composeSchema,
  ferryd: ferrydSchema,
  builder: builderSchema,
  hub: hubSchema,
  report: reportSchema,
  operation: operationSchema,
  'operation-result': operationResultSchema,
  decision: decisionSchema,
};

/** Compiles each schema once per validator; create one and pass it where it is needed. */
export class SchemaValidator {
  readonly #validators = new Map<SchemaName, ValidateFunction>();
  readonly #ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    allowUnionTypes: true,
  });

  #validator(name: SchemaName): ValidateFunction {
    let validate = this.#validators.get(name);
    if (!validate) {
      validate = this.#ajv.compile(schemas[name]);
      this.#validators.set(name, validate);
    }
    return validate;
  }

  /**
   * Where `value` breaks the schema, as paths to remove so that the rest can still be checked:
   * the offending value, or for an unknown key, the key.
   */
  invalidPaths(name: SchemaName, value: unknown): YamlPath[] {
    const validate = this.#validator(name);
    if (validate(value)) return [];
    return simplify(validate.errors ?? []).map((error) => {
      const path = pathOf(error.instancePath);
      return error.keyword === 'additionalProperties'
        ? [...path, String((error.params as { additionalProperty: unknown }).additionalProperty)]
        : path;
    });
  }

  /** Checks a value that came without positions (a JSON body): `path: message` per problem. */
  check(name: SchemaName, value: unknown): string[] {
    const validate = this.#validator(name);
    if (validate(value)) return [];
    return simplify(validate.errors ?? []).map(
      (error) =>
        `${formatPath(pathOf(error.instancePath)) || '(top)'}: ${error.message ?? 'is invalid'}`,
    );
  }

  /** Validates `yaml.value` in place (filling schema defaults); returns every problem found. */
  validate(name: SchemaName, yaml: YamlFile): Problem[] {
    const validate = this.#validator(name);
    if (validate(yaml.value)) return [];
    return simplify(validate.errors ?? []).map((error) => toProblem(name, yaml, error));
  }
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/**
 * `anyOf` branches each report why they failed; a user wants the branch that fits their value.
 * Keep the specific errors, drop the umbrella `anyOf` ones, and merge type mismatches at a path
 * into one message listing what would be accepted.
 */
function simplify(errors: readonly ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  // A type error where another branch of an anyOf matched the type and found something deeper
  // (or at the same place) is noise: the user wrote that form, and the deeper error is the one.
  const others = specific.filter((e) => e.keyword !== 'type').map((e) => e.instancePath);
  const nonType = {
    has: (path: string) => others.some((o) => o === path || o.startsWith(`${path}/`)),
  };
  const kept: ErrorObject[] = [];
  const typeAt = new Map<string, ErrorObject>();
  for (const error of specific) {
    if (error.keyword !== 'type') {
      kept.push(error);
      continue;
    }
    if (nonType.has(error.instancePath)) continue;
    const earlier = typeAt.get(error.instancePath);
    if (earlier) {
      const types = new Set([earlier.params.type, error.params.type].flatMap(splitTypes));
      earlier.params = { type: [...types].join(',') };
    } else {
      const copy = { ...error, params: { ...error.params } };
      typeAt.set(error.instancePath, copy);
      kept.push(copy);
    }
  }
  const seen = new Set<string>();
  return kept.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The known key nearest to a misspelt one, when it is near enough to be the one meant. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.max(1, Math.floor(name.length / 4)) && (!best || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length]!;
}

function splitTypes(type: unknown): string[] {
  return String(type).split(',');
}

function toProblem(name: SchemaName, yaml: YamlFile, error: ErrorObject): Problem {
  let path: YamlPath = pathOf(error.instancePath);
  let atKey = false;
  let message: string;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const refusal = name === 'compose' ? refusalOf(path, key) : undefined;
      const near = closest(key, known);
      const hint = near
        ? ` (did you mean '${near}'?)`
        : known.length <= 12
          ? ` (expected one of: ${known.join(', ')})`
          : '';
      message = refusal ?? `unknown key '${key}'${hint}`;
      path = [...path, key];
      atKey = true;
      break;
    }
    case 'required':
      message = `missing required field '${String(params.missingProperty)}'`;
      break;
    case 'type':
      message = `must be ${describeTypes(String(params.type))}`;
      // A commit id like 1234567 or 12e4567 or a label like floor: 1 reads as a number in YAML.
      if (String(params.type).includes('string') && typeof error.data !== 'string')
        message += ' (quote the value)';
      break;
    case 'enum':
      message = `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
      break;
    case 'const':
      message = `must be '${String(params.allowedValue)}'`;
      break;
    case 'pattern': {
      // A schema that knows how to say it in words has a description; a pattern is the fallback.
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      message = description
        ? `'${String(error.data)}' is not ${description}`
        : `'${String(error.data)}' does not match ${String(params.pattern)}`;
      break;
    }
    case 'propertyNames':
      return locatedKey(yaml, path, String(params.propertyName), 'is not a valid name');
    default:
      message = error.message ?? 'is invalid';
  }
  if (error.propertyName !== undefined) {
    return locatedKey(yaml, path, error.propertyName, `name ${message}`);
  }
  const position = yaml.locate(path, atKey);
  return { file: yaml.file, ...position, path: formatPath(path), message };
}

function locatedKey(yaml: YamlFile, parent: YamlPath, key: string, message: string): Problem {
  const path = [...parent, key];
  return { file: yaml.file, ...yaml.locate(path, true), path: formatPath(path), message };
}

function describeTypes(types: string): string {
  const names = types
    .split(',')
    .map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`));
  return names.join(' or ');
}
