import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A JSON response body as it goes out on the wire, with its entity tag.
 * Cached entries are kept in this form, so a hit is sent as it is: no
 * parse, no stringify, no hashing per request.
 */
export interface CachedResponse {
  readonly body: Buffer;
  /** Strong entity tag (a hash of the body), quoted as HTTP wants it. */
  readonly etag: string;
  /** `body.length` as a header value, computed once. */
  readonly contentLength: string;
}

/** Wraps bytes (or a JSON string) as a sendable response. */
export function cachedResponse(json: string | Buffer): CachedResponse {
  const body = typeof json === 'string' ? Buffer.from(json) : json;
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  return { body, etag, contentLength: String(body.length) };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Whether `If-None-Match` names this entity tag (RFC 9110 §13.1.2: `*`, or a
 * list compared weakly). Not the `fresh` package Express uses: it ignores the
 * header when the request also says `Cache-Control: no-cache`, which fetch()
 * adds to every conditional request, so polling clients would never get a 304.
 */
export function noneMatch(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return (tag.startsWith('W/') ? tag.slice(2) : tag) === opaque;
  });
}

/**
 * Sends a cached JSON response: 200 with the body, or 304 without one when
 * the client already holds this version. `X-Cache` says where it came from.
 */
export function sendCached(
  req: IncomingMessage,
  res: ServerResponse,
  response: CachedResponse,
  outcome: string,
): void {
  res.setHeader('ETag', response.etag);
  res.setHeader('X-Cache', outcome);
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && noneMatch(ifNoneMatch, response.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', response.contentLength);
  res.end(req.method === 'HEAD' ? undefined : response.body);
}
