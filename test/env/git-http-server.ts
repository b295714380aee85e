// A git HTTP server for tests and the demo: `git http-backend` (the smart HTTP protocol as git
// itself implements it) behind a small Node wrapper that maps HTTP to CGI. Repositories live
// under --root; paths under /private/ require basic auth (FERRY_GIT_USER / FERRY_GIT_PASS).
// We write this wrapper ourselves because git ships only the CGI program, and nginx or Apache
// would be one more service to install and configure on every test machine.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '5103' }, root: { type: 'string' } },
});
const root = values.root;
if (!root) throw new Error('--root is required');
const user = process.env.FERRY_GIT_USER ?? '';
const pass = process.env.FERRY_GIT_PASS ?? '';

function authorised(req: IncomingMessage, path: string): boolean {
  if (!path.startsWith('/private/')) return true;
  const header = req.headers.authorization ?? '';
  const expected = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  return header === expected;
}

function serveCgi(req: IncomingMessage, res: ServerResponse, path: string, query: string): void {
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      // http-backend refuses pushes from anonymous users; tests push over HTTP as this user.
      REMOTE_USER: 'ferry-test',
      PATH_INFO: path,
      QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    },
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    headersSent = true;
    res.write(head.subarray(end + 4));
  });
  cgi.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  cgi.on('close', (code) => {
    if (!headersSent) res.statusCode = 500;
    res.end();
    console.log(`${req.method} ${path}?${query} -> ${res.statusCode} (cgi exit ${code})`);
  });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/_health') {
    res.end('ok');
    return;
  }
  if (!authorised(req, url.pathname)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="ferry-test"' }).end();
    return;
  }
  serveCgi(req, res, decodeURIComponent(url.pathname), url.search.slice(1));
});
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`git http server on 127.0.0.1:${values.port}, root ${root}`);
});
