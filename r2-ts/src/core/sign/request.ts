/** The request a signer reads: method, absolute URL as sent, headers in order. */

import { SignError } from "../errors.js";

/** One header: name and value, in the order they are sent. */
export type Header = readonly [name: string, value: string];

/** A request to sign: the URL is absolute and already percent-encoded exactly as it is sent. */
export interface HttpRequest {
  /** `GET`, `PUT`, … */
  readonly method: string;
  /** `https://host[:port]/path?query`, encoded as sent (never normalised: `a/./b` and `a//b` stay). */
  readonly url: string;
  /** The headers, in order; names in any case. */
  readonly headers: readonly Header[];
}

/** The parts of an absolute URL, split without normalising anything. */
export interface UrlParts {
  /** `https` or `http`, lower case. */
  readonly scheme: string;
  /** `host[:port]` as written. */
  readonly authority: string;
  /** The path as written; `/` when the URL has none. */
  readonly path: string;
  /** The query without `?`, or `undefined`. */
  readonly query: string | undefined;
}

/**
 * Splits `url` into scheme, authority, path and query. `URL` is not used: it
 * removes `.` and `..` segments, which are distinct S3 keys.
 */
export function splitUrl(url: string): UrlParts {
  const schemeEnd = url.indexOf("://");
  if (schemeEnd <= 0) {
    throw new SignError("NotAbsolute", "the request URL must be absolute: scheme://host/path");
  }
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  const rest = url.slice(schemeEnd + 3);
  if (rest.includes("#")) {
    throw new SignError("InvalidUri", `the URL ${JSON.stringify(url)} has a fragment`);
  }
  const pathStart = rest.search(/[/?]/);
  const authority = pathStart === -1 ? rest : rest.slice(0, pathStart);
  if (authority.length === 0) {
    throw new SignError(
      "MissingHost",
      "the request has no host: give it an absolute URI or a Host header",
    );
  }
  const tail = pathStart === -1 ? "" : rest.slice(pathStart);
  const q = tail.indexOf("?");
  const rawPath = q === -1 ? tail : tail.slice(0, q);
  return {
    scheme,
    authority,
    path: rawPath.length === 0 ? "/" : rawPath,
    query: q === -1 ? undefined : tail.slice(q + 1),
  };
}
