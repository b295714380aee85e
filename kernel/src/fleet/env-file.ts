import type { EnvFileEntry } from './fleet-model.js';

/**
 * Parses a Compose env file: `KEY=VALUE` lines, `#` comments, optional `export `, values in single
 * or double quotes. Small enough that a dependency (dotenv) would add more than it saves, and
 * Compose's format differs from dotenv's in details anyway.
 */
export function parseEnvFile(text: string): {
  entries: EnvFileEntry[];
  errors: { line: number; message: string }[];
} {
  const entries: EnvFileEntry[] = [];
  const errors: { line: number; message: string }[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/.exec(line);
    if (!match) {
      errors.push({ line: index + 1, message: `expected KEY=VALUE, found '${line}'` });
      continue;
    }
    let value = (match[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2)
      value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    entries.push({ key: match[1] ?? '', value, line: index + 1 });
  }
  return { entries, errors };
}
