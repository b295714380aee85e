// JSON Schema validation (ajv) of parsed YAML, turned into located, readable problems.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import builderSchema from '../../schema/builder.schema.json' with { type: 'json' };
import composeSchema from '../../schema/compose.schema.json' with { type: 'json' };
import deviceSchema from '../../schema/device.schema.json' with { type: 'json' };
import ferrydSchema from '../../schema/ferryd.schema.json' with { type: 'json' };
import fleetSchema from '../../schema/fleet.schema.json' with { type: 'json' };
import { formatPath, type Problem } from './problem.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

export type SchemaName = 'fleet' | 'device' | 'compose' | 'ferryd' | 'builder';

const schemas: Record<SchemaName, object> = {
  fleet: fleetSchema,
  device: deviceSchema,
  compose: composeSchema,
  ferryd: ferrydSchema,
  builder: builderSchema,
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
  const nonType = new Set(specific.filter((e) => e.keyword !== 'type').map((e) => e.instancePath));
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
      path = [...path, key];
      atKey = true;
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      message =
        name === 'compose'
          ? `'${key}' is not supported by Ferry (supported: ${known.join(', ')})`
          : `unknown field '${key}' (expected one of: ${known.join(', ')})`;
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
    case 'pattern':
      message = `'${String(error.data)}' does not match ${String(params.pattern)}`;
      break;
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
