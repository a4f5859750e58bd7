import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stub received. */
export interface StubRequest {
  method: string;
  /** Path without the query, e.g. `/v1/Account/MA.../Zentrunk/Call/`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

/** What the stub answers. Defaults: 200, JSON-encoded `body`. */
export interface StubResponse {
  status?: number;
  /** JSON-encoded unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to trigger client timeouts). */
  delayMs?: number;
  /** Drop the connection without answering (a network error). */
  destroy?: boolean;
  /** Send the headers and half the body, then drop the connection (a cut-off body). */
  truncate?: boolean;
  /** Send the headers (no Content-Length) and then `body`/`rawBody` again and again, never ending. */
  endless?: boolean;
}

export type StubHandler = (request: StubRequest, index: number) => StubResponse | Promise<StubResponse>;

export interface HttpStub {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  requests: StubRequest[];
  setHandler(handler: StubHandler): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (random port) whose answers a test scripts. */
export async function startHttpStub(handler: StubHandler): Promise<HttpStub> {
  let current = handler;
  const requests: StubRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: StubRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
    };
    const index = requests.length;
    requests.push(request);
    void Promise.resolve(current(request, index)).then((answer) => {
      const send = () => {
        // The client went away first (it gave up, or dropped the request): nobody to answer.
        if (res.destroyed) return;
        if (answer.destroy) {
          req.socket.destroy();
          return;
        }
        const payload = answer.rawBody ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
        const headers: Record<string, string> = {
          'content-type': answer.rawBody === undefined ? 'application/json' : 'text/plain',
          'content-length': String(Buffer.byteLength(payload)),
          ...answer.headers,
        };
        if (answer.endless) {
          delete headers['content-length'];
          res.writeHead(answer.status ?? 200, headers);
          const more = () => {
            while (!res.destroyed && res.write(payload));
            if (!res.destroyed) res.once('drain', more);
          };
          res.on('close', () => res.off('drain', more));
          more();
          return;
        }
        res.writeHead(answer.status ?? 200, headers);
        if (answer.truncate) {
          res.write(payload.slice(0, Math.floor(payload.length / 2)));
          setImmediate(() => req.socket.destroy());
          return;
        }
        res.end(payload);
      };
      if (answer.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, answer.delayMs);
        timers.add(timer);
      } else {
        send();
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next) {
      current = next;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
