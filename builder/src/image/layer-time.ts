// The one time every file in a built layer, and every history entry of a built image's config,
// carries. A fixed time makes a digest depend on content alone: never on commit dates, branches,
// merge commits, clone depth or when the build ran. The Unix epoch is the default, as ko and
// rules_oci do; `SOURCE_DATE_EPOCH` (reproducible-builds.org) is honoured when a user sets it.
import { FerryError } from '#kernel/errors.js';

export const EPOCH = new Date(0);

/** `SOURCE_DATE_EPOCH` from the environment when set, else the Unix epoch. */
export function layerTime(env: NodeJS.ProcessEnv = process.env): Date {
  const text = env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === '') return EPOCH;
  if (!/^\d{1,12}$/.test(text))
    throw new FerryError(
      'FERRY_USAGE',
      `SOURCE_DATE_EPOCH='${text}': expected whole seconds since 1970-01-01`,
    );
  return new Date(Number(text) * 1000);
}
