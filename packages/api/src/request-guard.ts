import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What is refused at the protocol level, before a request reaches the
 * application (RFC 9112, RFC 9110), and how a connection is paced.
 */
export interface RequestGuardOptions {
  /** The largest body any route accepts, bytes; a larger declared `Content-Length` is 413 unread. */
  readonly maxBodyBytes: number;
  /** Header fields per request; more is 431 (a proxy and the API must read the same request). */
  readonly maxHeaders: number;
  /** Requests a client may have waiting on one connection; beyond, 429 and the connection closes. */
  readonly maxPipelined: number;
}

export const DEFAULT_REQUEST_GUARD: RequestGuardOptions = {
  maxBodyBytes: 64 * 1024,
  maxHeaders: 100,
  maxPipelined: 32,
};

/** A Host value: a registered name, IPv4 or an IP literal, and an optional port (RFC 9110 §7.2). */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::\d{1,5})?$/;

function refuse(res: ServerResponse, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  // The connection's framing can no longer be trusted (or its body is not read): close it.
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.end(body);
}

/** Why a request is refused before it is read, or undefined. */
export function protocolProblem(
  req: IncomingMessage,
  o: RequestGuardOptions,
): [number, string] | undefined {
  if (req.rawHeaders.length / 2 > o.maxHeaders)
    return [431, `Too many header fields (at most ${o.maxHeaders})`];
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.length === 4 && req.rawHeaders[i]!.toLowerCase() === 'host') hosts += 1;
  }
  // HTTP/1.1 requires exactly one Host; HTTP/1.0 may have none (RFC 9112 §3.2).
  if (hosts > 1 || (hosts === 0 && req.httpVersion !== '1.0'))
    return [400, 'Exactly one Host header is required'];
  if (hosts === 1 && !HOST.test(req.headers.host ?? '')) return [400, 'Invalid Host header'];
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > o.maxBodyBytes)
    return [413, 'Request body too large'];
  return undefined;
}

interface ConnectionQueue {
  running: boolean;
  readonly waiting: (() => void)[];
}
const queues = new WeakMap<Socket, ConnectionQueue>();

/**
 * Wraps the server's request handler: protocol checks first; then each
 * connection's requests run one after another, in the order they came, so a
 * pipelined GET sees the effect of the POST before it (RFC 9112 §9.3.2 lets
 * a server process in parallel only safe requests). A connection with more
 * than `maxPipelined` requests waiting stops being read, and one whose client
 * still pushes past twice that is answered 429 and closed.
 * `Expect: 100-continue` is answered only for a request that passes the
 * checks: an oversize one gets its 413 without the body being sent.
 */
export function guardRequests(
  server: Server,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  o: RequestGuardOptions = DEFAULT_REQUEST_GUARD,
): (req: IncomingMessage, res: ServerResponse) => void {
  const run = (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    let queue = queues.get(socket);
    if (!queue) {
      queue = { running: false, waiting: [] };
      queues.set(socket, queue);
    }
    const q = queue;
    if (q.waiting.length >= 2 * o.maxPipelined) {
      refuse(res, 429, 'Too many pipelined requests on this connection');
      return;
    }
    const start = () => {
      q.running = true;
      let done = false;
      const next = () => {
        if (done) return;
        done = true;
        q.running = false;
        const following = q.waiting.shift();
        if (q.waiting.length < o.maxPipelined && socket.isPaused()) socket.resume();
        following?.();
      };
      res.once('finish', next);
      res.once('close', next);
      handle(req, res);
    };
    if (!q.running) return start();
    q.waiting.push(start);
    if (q.waiting.length >= o.maxPipelined) socket.pause();
  };

  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const problem = protocolProblem(req, o);
    if (problem) return refuse(res, ...problem);
    res.writeContinue();
    run(req, res);
  });
  // Past the count, Node would drop header fields silently: every field is counted here instead.
  server.maxHeadersCount = 0;

  return (req, res) => {
    const problem = protocolProblem(req, o);
    if (problem) return refuse(res, ...problem);
    run(req, res);
  };
}
