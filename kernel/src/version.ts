import { readFileSync } from 'node:fs';

/** Ferry's version, from package.json (this file runs as dist/kernel/src/version.js). */
export const FERRY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
