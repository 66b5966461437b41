/** The botocore SigV4 vector file (`conformance/vectors/s3-botocore/vectors.json`) and its checker. */

import {
  Credentials,
  payloadHashOf,
  type SignatureTrace,
  Signer,
  UNSIGNED_PAYLOAD,
  utf8,
} from "../src/core/index.js";
import { parseAmzDate } from "../src/core/timestamp.js";
import { readShared } from "./shared.js";

/** One case of the `r2-s3-sigv4-vectors/1` format. */
export interface Case {
  name: string;
  auth: "header" | "presign";
  policy_dependent: boolean;
  credentials: { access_key_id: string; secret_access_key: string; session_token: string | null };
  region: string;
  service: string;
  timestamp: string;
  request: {
    method: string;
    url: string;
    headers: Array<[string, string]>;
    body?: string;
    body_base64?: string;
  };
  payload_hash: string;
  expires_in?: number;
  expected: {
    canonical_request: string;
    string_to_sign: string;
    signed_headers: string;
    signature: string;
    authorization?: string;
    headers_out?: Array<[string, string]>;
    presigned_url?: string;
    headers_to_send?: Array<[string, string]>;
  };
}

/** The vector file. */
export interface VectorFile {
  format: string;
  cases: Case[];
}

/** Loads and checks the format of the shipped file. */
export function loadBotocore(): VectorFile {
  const file = JSON.parse(readShared("conformance/vectors/s3-botocore/vectors.json")) as VectorFile;
  if (file.format !== "r2-s3-sigv4-vectors/1") throw new Error(`unknown format ${file.format}`);
  return file;
}

/** The first field whose value differs, with both values. */
export interface Mismatch {
  field: string;
  expected: string;
  actual: string;
}

/** What a case gave. */
export type Outcome =
  | { kind: "passed" }
  | { kind: "failed"; mismatch: Mismatch }
  | { kind: "skipped"; reason: string };

function compare(field: string, expected: string, actual: string): void {
  if (expected !== actual) throw { field, expected, actual } satisfies Mismatch;
}

function headerList(headers: ReadonlyArray<readonly [string, string]>): string {
  return headers
    .map(([n, v]) => [n.toLowerCase(), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([n, v]) => `${n}: ${v}\n`)
    .join("");
}

function urlParts(url: string): string {
  const q = url.indexOf("?");
  const base = q === -1 ? url : url.slice(0, q);
  const params =
    q === -1
      ? []
      : url
          .slice(q + 1)
          .split("&")
          .filter((p) => p.length > 0)
          .sort();
  return `${base}?${params.join("&")}`;
}

function bodyOf(c: Case): Uint8Array {
  if (c.request.body_base64 !== undefined)
    return Uint8Array.from(Buffer.from(c.request.body_base64, "base64"));
  return utf8(c.request.body ?? "");
}

function checkTrace(c: Case, trace: SignatureTrace): void {
  compare("canonical_request", c.expected.canonical_request, trace.canonicalRequest);
  compare("string_to_sign", c.expected.string_to_sign, trace.stringToSign);
  compare("signed_headers", c.expected.signed_headers, trace.signedHeaders);
  compare("signature", c.expected.signature, trace.signature);
}

function run(c: Case): void {
  let credentials = Credentials.of(c.credentials.access_key_id, c.credentials.secret_access_key);
  if (c.credentials.session_token !== null)
    credentials = credentials.withSessionToken(c.credentials.session_token);
  const signer = new Signer(credentials, { region: c.region, service: c.service });
  const now = parseAmzDate(c.timestamp);
  if (now === undefined)
    throw { field: "timestamp", expected: "YYYYMMDDTHHMMSSZ", actual: c.timestamp };
  const request = { method: c.request.method, url: c.request.url, headers: c.request.headers };
  if (c.auth === "header") {
    if (c.payload_hash !== UNSIGNED_PAYLOAD)
      compare("payload_hash", c.payload_hash, payloadHashOf(bodyOf(c)));
    checkTrace(c, signer.explain(request, c.payload_hash, now));
    const signed = signer.sign(request, c.payload_hash, now);
    const authorization =
      signed.headers.find(([n]) => n.toLowerCase() === "authorization")?.[1] ?? "";
    compare("authorization", c.expected.authorization ?? "", authorization);
    compare("headers_out", headerList(c.expected.headers_out ?? []), headerList(signed.headers));
  } else {
    const expires = c.expires_in ?? 0;
    checkTrace(c, signer.explainPresign(request, expires, now));
    const presigned = signer.presign(request, expires, now);
    const expected = c.expected.presigned_url ?? "";
    if (presigned.url !== expected && urlParts(presigned.url) !== urlParts(expected)) {
      compare("presigned_url", expected, presigned.url);
    }
    compare(
      "headers_to_send",
      headerList(c.expected.headers_to_send ?? []),
      headerList(presigned.headers),
    );
  }
}

/** Runs one case: a policy-dependent difference is a skip, as in the Rust runner. */
export function checkCase(c: Case): Outcome {
  try {
    run(c);
    return { kind: "passed" };
  } catch (error) {
    if (typeof error === "object" && error !== null && "field" in error) {
      const mismatch = error as Mismatch;
      if (c.policy_dependent)
        return { kind: "skipped", reason: `policy-dependent case (${mismatch.field})` };
      return { kind: "failed", mismatch };
    }
    throw error;
  }
}
