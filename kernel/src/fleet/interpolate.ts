// Compose-style variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, nested in defaults. Unlike Compose,
// an unset variable without a default is an error: a gateway must not start a container with a
// silently empty setting.

export class InterpolationError extends Error {
  constructor(
    readonly variable: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

export type Lookup = (name: string) => string | undefined;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Expands every variable in `text`; throws InterpolationError naming the variable. */
export function interpolate(text: string, lookup: Lookup): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i + 2);
      out += expand(text.slice(i + 2, end), lookup);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += '$';
        i += 1;
        continue;
      }
      out += required(name, lookup(name), undefined);
      i += 1 + name.length;
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth += 1;
      i += 1;
    } else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new InterpolationError(undefined, `unterminated '\${' in "${text}"`);
}

function expand(inner: string, lookup: Lookup): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
  if (!match) throw new InterpolationError(undefined, `invalid interpolation '\${${inner}}'`);
  const [, name = '', operator, argument = ''] = match;
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (operator) {
    case undefined:
      return required(name, value, undefined);
    case ':-':
      return nonEmpty ? value : interpolate(argument, lookup);
    case '-':
      return set ? value : interpolate(argument, lookup);
    case ':?':
      return nonEmpty ? value : required(name, undefined, interpolate(argument, lookup));
    case '?':
      return set ? value : required(name, undefined, interpolate(argument, lookup));
    case ':+':
      return nonEmpty ? interpolate(argument, lookup) : '';
    default: // '+'
      return set ? interpolate(argument, lookup) : '';
  }
}

function required(name: string, value: string | undefined, message: string | undefined): string {
  if (value !== undefined) return value;
  const reason = message ? `: ${message}` : '';
  throw new InterpolationError(name, `variable ${name} is not set for this device${reason}`);
}
