/**
 * Where requests go: an account's R2 endpoint (optionally in a
 * jurisdiction) or an explicit URL, always path-style, as
 * `r2_proto::Endpoint`.
 */

import { ConfigError } from "./errors.js";
import { encodePath } from "./percent.js";

/** An R2 jurisdiction: buckets in it are reachable only through its endpoint. */
export type Jurisdiction = "eu" | "fedramp" | "us";

/** Parses a jurisdiction name (any case). */
export function parseJurisdiction(name: string): Jurisdiction {
  const lower = name.toLowerCase();
  if (lower === "eu" || lower === "fedramp" || lower === "us") return lower;
  throw new ConfigError(
    "UnknownJurisdiction",
    `unknown R2 jurisdiction ${JSON.stringify(name)} (expected \`eu\`, \`fedramp\` or \`us\`)`,
  );
}

/** A validated endpoint: scheme and authority, no path, no query. */
export class Endpoint {
  /** `https` or `http`. */
  readonly scheme: "https" | "http";
  /** `host[:port]`. */
  readonly authority: string;

  private constructor(scheme: "https" | "http", authority: string) {
    this.scheme = scheme;
    this.authority = authority;
  }

  /** The endpoint of an account (32 hex characters), optionally in a jurisdiction. */
  static forAccount(accountId: string, jurisdiction?: Jurisdiction): Endpoint {
    if (accountId.length === 0)
      throw new ConfigError("EmptyAccountId", "the R2 account id is empty");
    if (!/^[0-9a-fA-F]{32}$/.test(accountId)) {
      throw new ConfigError(
        "MalformedAccountId",
        `the R2 account id must be 32 hexadecimal characters, got ${[...accountId].length} characters`,
      );
    }
    const label = jurisdiction === undefined ? "" : `.${jurisdiction}`;
    return new Endpoint("https", `${accountId.toLowerCase()}${label}.r2.cloudflarestorage.com`);
  }

  /**
   * Parses an explicit endpoint URL: `https://host[:port]` (or `http://`,
   * which the configuration refuses unless allowed), no path but `/`, no
   * query, no user info.
   */
  static parse(url: string): Endpoint {
    const invalid = (reason: string) =>
      new ConfigError("InvalidEndpoint", `invalid endpoint URL ${JSON.stringify(url)}: ${reason}`);
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(url);
    if (m === null) throw invalid("not a valid absolute URL");
    const scheme = (m[1] ?? "").toLowerCase();
    const authority = m[2] ?? "";
    if (scheme !== "https" && scheme !== "http") throw invalid("the scheme must be https");
    if (authority.includes("@")) throw invalid("it must not contain user info");
    if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(authority)) {
      throw invalid(authority.length === 0 ? "it has no host" : "not a valid absolute URL");
    }
    const port = /:(\d+)$/.exec(authority)?.[1];
    if (port !== undefined && Number(port) > 65535) throw invalid("not a valid absolute URL");
    if (m[3] !== "" && m[3] !== "/") {
      throw invalid("it must not have a path (R2 URLs are path-style from the root)");
    }
    if (m[4] !== undefined || m[5] !== undefined) throw invalid("it must not have a query");
    return new Endpoint(scheme, authority);
  }

  /** `scheme://authority`. */
  get url(): string {
    return `${this.scheme}://${this.authority}`;
  }

  /** True for https. */
  get isHttps(): boolean {
    return this.scheme === "https";
  }

  /** The URL of `path` (already encoded) with an optional encoded query. */
  urlOf(path: string, query?: string): string {
    return query === undefined || query.length === 0
      ? `${this.url}${path}`
      : `${this.url}${path}?${query}`;
  }
}

/** The encoded path of a bucket: `/<bucket>`. */
export function bucketPath(bucket: string): string {
  return `/${bucket}`;
}

/** The encoded path-style path of an object: `/<bucket>/<key encoded once>`. */
export function objectPath(bucket: string, key: string): string {
  return `/${bucket}/${encodePath(key)}`;
}
