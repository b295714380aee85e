// Pages of GET /api/v1/devices: `limit` devices at most, in id order, starting after the id
// `after`; the answer's `next` is the `after` of the next page, absent on the last one. Without
// `limit`, the whole (filtered) fleet, as before pages existed. Ids are ordered by code unit, the
// same in JavaScript whichever database holds them (PostgreSQL's ORDER BY follows its locale).
import type { DeviceView } from './hub-views.js';

/** The most devices one page holds (about 1 MiB of JSON). */
export const MAX_PAGE = 1000;

export interface PageRequest {
  readonly limit?: number;
  readonly after?: string;
}

/** The page asked for by `limit` and `after`, or what is wrong with them. */
export function pageOf(query: URLSearchParams): PageRequest | string {
  const limit = query.get('limit');
  const after = query.get('after');
  if (limit === null) return after === null ? {} : 'after needs limit';
  const count = Number(limit);
  if (!/^\d+$/.test(limit) || count < 1 || count > MAX_PAGE)
    return `limit must be a whole number from 1 to ${MAX_PAGE}`;
  return { limit: count, ...(after === null ? {} : { after }) };
}

export function paginate(
  devices: readonly DeviceView[],
  page: PageRequest,
): { devices: DeviceView[]; next?: string } {
  if (page.limit === undefined) return { devices: [...devices] };
  const ordered = [...devices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rest = page.after === undefined ? ordered : ordered.filter((d) => d.id > page.after!);
  const taken = rest.slice(0, page.limit);
  return rest.length > page.limit ? { devices: taken, next: taken.at(-1)!.id } : { devices: taken };
}
