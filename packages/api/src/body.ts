import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { HttpError } from './http';
import { RequestValidationError } from './validation';

/**
 * Request bodies, read strictly: bounded in size, UTF-8 checked byte for
 * byte (a decoder would silently replace what is not), and an empty body is
 * no body (422 `missing`, as FastAPI answers), never `{}`.
 */

const invalid = (msg: string) =>
  new RequestValidationError([{ type: 'json_invalid', loc: ['body'], msg }]);

/** A charset other than UTF-8 is refused (415) rather than guessed. */
function checkCharset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, `Unsupported charset "${charset}"; send UTF-8`);
  }
}

/** Runs `express.raw` for `type`, then hands the bytes (or undefined: no body) to `parse`. */
function rawBody(
  type: string | string[],
  limit: string,
  parse: (bytes: Buffer | undefined) => unknown,
): RequestHandler {
  const raw = express.raw({ type, limit });
  return (req, res, next) => {
    raw(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        const bytes = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
        if (bytes) checkCharset(req.get('content-type'));
        req.body = parse(bytes);
        next();
      } catch (failure) {
        next(failure);
      }
    });
  };
}

/** A JSON body (`application/json` or `+json`) of at most `limit`; absent or empty → `req.body` undefined. */
export function jsonBody(limit: string): RequestHandler {
  return rawBody(['application/json', 'application/*+json'], limit, (bytes) => {
    if (!bytes) return undefined;
    if (!isUtf8(bytes)) throw invalid('JSON decode error: the body is not valid UTF-8');
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      throw invalid('JSON decode error');
    }
  });
}

/**
 * An `application/x-www-form-urlencoded` body of at most `limit` as an object
 * of strings (the last of repeated fields wins, as Starlette's form). Every
 * escape must decode to valid UTF-8: `%ED%A0%80` (a lone surrogate) or `%FF`
 * are refused, not replaced. No form → `{}` (each field is then `missing`).
 */
export function formBody(limit: string): RequestHandler {
  return rawBody('application/x-www-form-urlencoded', limit, (bytes) => {
    const form: Record<string, string> = {};
    if (!bytes) return form;
    const refused = new RequestValidationError([
      {
        type: 'value_error',
        loc: ['body'],
        msg: 'The form is not valid URL-encoded UTF-8',
      },
    ]);
    if (!isUtf8(bytes)) throw refused;
    for (const pair of bytes.toString('utf8').split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const [name, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      try {
        const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        Object.defineProperty(form, decode(name), {
          value: decode(value),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      } catch {
        throw refused;
      }
    }
    return form;
  });
}
