// `HOST:PORT` (or `[IPv6]:PORT`) as ferryd's api.listen and the builder's listen are written.
import { FerryError } from './errors.js';

/** The host and port of a listen address; FERRY_CONFIG when it is not one. */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new FerryError('FERRY_CONFIG', `api.listen '${listen}' is not HOST:PORT`);
  return { host, port };
}
