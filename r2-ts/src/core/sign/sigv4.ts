/**
 * SigV4 for S3: header signing (`Authorization`) and presigned URLs, as
 * `r2_proto::Signer` does them. Time comes in as an argument
 * (milliseconds since the epoch); nothing here reads a clock.
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hex, utf8 } from "../bytes.js";
import type { Credentials } from "../credentials.js";
import { SignError } from "../errors.js";
import { encodeComponent, isSendableQuery, isUnreserved } from "../percent.js";
import { type AmzDate, amzDate } from "../timestamp.js";
import { ALGORITHM, CanonicalHeaders, canonicalQuery, canonicalRequest } from "./canonical.js";
import { type Header, type HttpRequest, splitUrl } from "./request.js";

/** The payload hash of a body that is not signed. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** The SHA-256 of no bytes, in hex. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** The longest a presigned URL may live: 7 days, in seconds. */
export const MAX_PRESIGN_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/** The hex SHA-256 of `body`, for `x-amz-content-sha256`. */
export function payloadHashOf(body: Uint8Array | string): string {
  return hex(sha256(typeof body === "string" ? utf8(body) : body));
}

/** Every step of a signature, for tests and for debugging a `SignatureDoesNotMatch`. */
export interface SignatureTrace {
  /** The canonical request. */
  readonly canonicalRequest: string;
  /** The string to sign. */
  readonly stringToSign: string;
  /** `host;x-amz-date;…`. */
  readonly signedHeaders: string;
  /** The signature, hex. */
  readonly signature: string;
}

/** A presigned request: the URL to use, and the headers that were signed and must be sent with it. */
export interface PresignedRequest {
  /** The method the URL was signed for. */
  readonly method: string;
  /** The presigned URL. */
  readonly url: string;
  /** Headers that were signed (besides `host`) and must be sent. */
  readonly headers: readonly Header[];
  /** When the URL stops working, milliseconds since the epoch. */
  readonly expiresAtMs: number;
}

/** Options of a signer. */
export interface SignerOptions {
  /** Region of the credential scope; `auto` for R2. */
  readonly region?: string;
  /** Service of the credential scope; `s3`. */
  readonly service?: string;
  /** Whether `x-amz-content-sha256` is added (S3 needs it; generic SigV4 services do not). */
  readonly contentSha256Header?: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkScopePart(part: string): string {
  for (let i = 0; i < part.length; i++) {
    if (!isUnreserved(part.charCodeAt(i))) {
      throw new SignError(
        "InvalidScope",
        `invalid credential scope part ${JSON.stringify(part)}: use A-Z, a-z, 0-9, '-', '.', '_' or '~'`,
      );
    }
  }
  if (part.length === 0) throw new SignError("InvalidScope", "a credential scope part is empty");
  return part;
}

function checkHeaders(headers: readonly Header[]): void {
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
      throw new SignError("InvalidHeader", `cannot represent the ${JSON.stringify(name)} header`);
    }
  }
}

function checkPayloadHash(payloadHash: string): void {
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new SignError(
      "InvalidPayloadHash",
      "the payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD",
    );
  }
}

/** Signs requests with one set of credentials and one credential scope. */
export class Signer {
  readonly #credentials: Credentials;
  readonly #region: string;
  readonly #service: string;
  readonly #contentSha256Header: boolean;
  /** The keyed HMAC state of the last date used (the key changes once a day); cloned per signature. */
  #key: { date: string; mac: ReturnType<typeof hmac.create> } | undefined;

  /** A signer for `credentials`; R2's scope (`auto`, `s3`) unless told otherwise. */
  constructor(credentials: Credentials, options: SignerOptions = {}) {
    this.#credentials = credentials;
    this.#region = checkScopePart(options.region ?? "auto");
    this.#service = checkScopePart(options.service ?? "s3");
    this.#contentSha256Header = options.contentSha256Header ?? true;
  }

  /** The access key id this signer signs with. */
  get accessKeyId(): string {
    return this.#credentials.accessKeyId;
  }

  /** A redacted description (no key material). */
  toString(): string {
    return `Signer { accessKeyId: ${this.#credentials.accessKeyId}, scope: ${this.#region}/${this.#service} }`;
  }

  /** The redacted form `JSON.stringify` writes. */
  toJSON(): Record<string, string> {
    return {
      accessKeyId: this.#credentials.accessKeyId,
      region: this.#region,
      service: this.#service,
    };
  }

  /** The redacted form `util.inspect` shows. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** The signature of `stringToSign` with the day's signing key. */
  #sign(date: string, stringToSign: string): string {
    if (this.#key?.date !== date) {
      let key = hmac(sha256, utf8(`AWS4${this.#credentials.exposeSecretAccessKey()}`), utf8(date));
      for (const part of [this.#region, this.#service, "aws4_request"]) {
        key = hmac(sha256, key, utf8(part));
      }
      this.#key = { date, mac: hmac.create(sha256, key) };
    }
    return hex(this.#key.mac.clone().update(utf8(stringToSign)).digest());
  }

  #scope(date: AmzDate): string {
    return `${date.date}/${this.#region}/${this.#service}/aws4_request`;
  }

  #trace(canonical: string, signedHeaders: string, date: AmzDate): SignatureTrace {
    const stringToSign = `${ALGORITHM}\n${date.stamp}\n${this.#scope(date)}\n${hex(sha256(utf8(canonical)))}`;
    const signature = this.#sign(date.date, stringToSign);
    return { canonicalRequest: canonical, stringToSign, signedHeaders, signature };
  }

  /** The headers the signer adds before signing, and the request's own minus those it replaces. */
  #withAuthHeaders(headers: readonly Header[], payloadHash: string, date: AmzDate): Header[] {
    const replaced = new Set(["authorization", "x-amz-date", "x-amz-security-token"]);
    if (this.#contentSha256Header) replaced.add("x-amz-content-sha256");
    const out: Header[] = headers.filter(([name]) => !replaced.has(name.toLowerCase()));
    out.push(["x-amz-date", date.stamp]);
    if (this.#contentSha256Header) out.push(["x-amz-content-sha256", payloadHash]);
    const token = this.#credentials.exposeSessionToken();
    if (token !== undefined) out.push(["x-amz-security-token", token]);
    return out;
  }

  #headerTrace(request: HttpRequest, payloadHash: string, epochMs: number) {
    checkPayloadHash(payloadHash);
    checkHeaders(request.headers);
    const date = amzDate(epochMs);
    const url = splitUrl(request.url);
    const headers = this.#withAuthHeaders(request.headers, payloadHash, date);
    const canonicalHeaders = CanonicalHeaders.collect(headers, url.scheme, url.authority);
    const canonical = canonicalRequest(
      request.method,
      url.path,
      canonicalQuery(url.query),
      canonicalHeaders,
      payloadHash,
    );
    return { headers, date, trace: this.#trace(canonical, canonicalHeaders.names(), date) };
  }

  /** Every step of the header signature of `request`, without signing it. */
  explain(request: HttpRequest, payloadHash: string, epochMs: number): SignatureTrace {
    return this.#headerTrace(request, payloadHash, epochMs).trace;
  }

  /**
   * Signs `request` at `epochMs` with the body's `payloadHash` (hex SHA-256
   * or `UNSIGNED-PAYLOAD`): its headers plus `x-amz-date`,
   * `x-amz-content-sha256`, the session token and `authorization`.
   */
  sign(request: HttpRequest, payloadHash: string, epochMs: number): HttpRequest {
    const { headers, date, trace } = this.#headerTrace(request, payloadHash, epochMs);
    headers.push([
      "authorization",
      `${ALGORITHM} Credential=${this.#credentials.accessKeyId}/${this.#scope(date)}, SignedHeaders=${trace.signedHeaders}, Signature=${trace.signature}`,
    ]);
    return { method: request.method, url: request.url, headers };
  }

  #presignTrace(request: HttpRequest, expiresInSeconds: number, epochMs: number) {
    if (
      !Number.isInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > MAX_PRESIGN_EXPIRY_SECONDS
    ) {
      throw new SignError(
        "InvalidExpiry",
        `presigned URL expiry must be whole seconds from 1 s to 7 days (604800 s), got ${expiresInSeconds}`,
      );
    }
    checkHeaders(request.headers);
    const date = amzDate(epochMs);
    const url = splitUrl(request.url);
    if (url.query !== undefined && !isSendableQuery(url.query)) {
      throw new SignError(
        "InvalidUri",
        `query ${JSON.stringify(url.query)} must be percent-encoded visible ASCII without '#'`,
      );
    }
    const headers = request.headers.filter(([name]) => name.toLowerCase() !== "authorization");
    const canonicalHeaders = CanonicalHeaders.collect(headers, url.scheme, url.authority);
    const auth: Array<readonly [string, string]> = [
      ["X-Amz-Algorithm", ALGORITHM],
      [
        "X-Amz-Credential",
        encodeComponent(`${this.#credentials.accessKeyId}/${this.#scope(date)}`),
      ],
      ["X-Amz-Date", date.stamp],
      ["X-Amz-Expires", String(expiresInSeconds)],
      ["X-Amz-SignedHeaders", encodeComponent(canonicalHeaders.names())],
    ];
    const token = this.#credentials.exposeSessionToken();
    if (token !== undefined) auth.push(["X-Amz-Security-Token", encodeComponent(token)]);
    const own = (url.query ?? "")
      .split("&")
      .filter((piece) => piece.length > 0)
      .map((piece) => (piece.includes("=") ? piece : `${piece}=`));
    const unsigned = `${url.scheme}://${url.authority}${url.path}?${[
      ...own,
      ...auth.map(([n, v]) => `${n}=${v}`),
    ].join("&")}`;
    const canonical = canonicalRequest(
      request.method,
      url.path,
      canonicalQuery(url.query, auth),
      canonicalHeaders,
      UNSIGNED_PAYLOAD,
    );
    const trace = this.#trace(canonical, canonicalHeaders.names(), date);
    const toSend = headers.filter(([name]) => {
      const lower = name.toLowerCase();
      return lower !== "host" && canonicalHeaders.entries.some(([signed]) => signed === lower);
    });
    return { unsigned, trace, toSend, expiresAtMs: date.epochMs + expiresInSeconds * 1000 };
  }

  /** Every step of the presigned URL of `request`, without making it. */
  explainPresign(request: HttpRequest, expiresInSeconds: number, epochMs: number): SignatureTrace {
    return this.#presignTrace(request, expiresInSeconds, epochMs).trace;
  }

  /**
   * A presigned URL for `request`, valid for `expiresInSeconds` (1 s to 7
   * days) from `epochMs`. The payload is `UNSIGNED-PAYLOAD` and no checksum
   * parameter is added.
   */
  presign(request: HttpRequest, expiresInSeconds: number, epochMs: number): PresignedRequest {
    const { unsigned, trace, toSend, expiresAtMs } = this.#presignTrace(
      request,
      expiresInSeconds,
      epochMs,
    );
    return {
      method: request.method,
      url: `${unsigned}&X-Amz-Signature=${trace.signature}`,
      headers: toSend,
      expiresAtMs,
    };
  }
}
