/**
 * The SigV4 canonical request, as `r2_proto::sign::canonical` writes it:
 * headers lower-cased, sorted, values trimmed with inner runs of spaces and
 * tabs collapsed, repeated names joined with `,`; the query decoded once,
 * encoded canonically and sorted; the path verbatim.
 */

import { canonicalComponent } from "../percent.js";
import type { Header } from "./request.js";

/** The SigV4 algorithm name. */
export const ALGORITHM = "AWS4-HMAC-SHA256";

/** Headers a signer never signs: they change on the way or are the signature itself. */
const NEVER_SIGNED = new Set([
  "authorization",
  "connection",
  "content-length",
  "expect",
  "keep-alive",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

/** True for a header name (lower case) a signer leaves out. */
export function isNeverSigned(lowerName: string): boolean {
  return NEVER_SIGNED.has(lowerName);
}

/** The `Host` value a signer uses for `scheme://authority`: lower case, default port dropped. */
export function signedHost(scheme: string, authority: string): string {
  const lower = authority.toLowerCase();
  const defaultPort = scheme === "https" ? "443" : scheme === "http" ? "80" : undefined;
  const colon = lower.lastIndexOf(":");
  if (
    defaultPort !== undefined &&
    colon > lower.lastIndexOf("]") &&
    lower.slice(colon + 1) === defaultPort
  ) {
    return lower.slice(0, colon);
  }
  return lower;
}

/** A header value as SigV4 signs it: trimmed, inner runs of spaces and tabs as one space. */
function canonicalValue(value: string): string {
  return value
    .split(/[ \t]+/)
    .filter((word) => word.length > 0)
    .join(" ");
}

/** The signed headers of a request: sorted names and their canonical values. */
export class CanonicalHeaders {
  /** `[lowerName, values joined with ',']`, sorted by name. */
  readonly entries: ReadonlyArray<readonly [string, string]>;

  private constructor(entries: Array<readonly [string, string]>) {
    this.entries = entries;
  }

  /** The headers to sign from `headers`, with `host` from the authority when no `Host` header is given. */
  static collect(headers: readonly Header[], scheme: string, authority: string): CanonicalHeaders {
    const byName = new Map<string, string[]>();
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      if (isNeverSigned(lower)) continue;
      const values = byName.get(lower);
      if (values === undefined) byName.set(lower, [canonicalValue(value)]);
      else values.push(canonicalValue(value));
    }
    if (!byName.has("host")) byName.set("host", [signedHost(scheme, authority)]);
    const entries = [...byName.entries()].map(
      ([name, values]) => [name, values.join(",")] as const,
    );
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new CanonicalHeaders(entries);
  }

  /** `host;x-amz-date;…`. */
  names(): string {
    return this.entries.map(([name]) => name).join(";");
  }

  /** The header lines of the canonical request, each ending in `\n`. */
  lines(): string {
    let out = "";
    for (const [name, value] of this.entries) out += `${name}:${value}\n`;
    return out;
  }
}

/** Sorts by name, then value, comparing UTF-16 code units (the components are ASCII). */
function byNameThenValue(a: readonly [string, string], b: readonly [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** The canonical query of `query` plus already-canonical `extra` parameters, sorted. */
export function canonicalQuery(
  query: string | undefined,
  extra: ReadonlyArray<readonly [string, string]> = [],
): string {
  const params: Array<readonly [string, string]> = [];
  if (query !== undefined && query.length > 0) {
    for (const pair of query.split("&")) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      params.push([canonicalComponent(name), canonicalComponent(value)]);
    }
  }
  params.push(...extra);
  params.sort(byNameThenValue);
  return params.map(([name, value]) => `${name}=${value}`).join("&");
}

/** The canonical request text. */
export function canonicalRequest(
  method: string,
  path: string,
  query: string,
  headers: CanonicalHeaders,
  payloadHash: string,
): string {
  return `${method}\n${path.length === 0 ? "/" : path}\n${query}\n${headers.lines()}\n${headers.names()}\n${payloadHash}`;
}
