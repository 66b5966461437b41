/**
 * The r2 core for TypeScript: pure and sans-IO, feature for feature with
 * the Rust `r2-proto`. No `fetch`, timers, clock reads or randomness: time
 * and seeds come in as arguments.
 */

export { hex, utf8 } from "./bytes.js";
export { Credentials } from "./credentials.js";
export {
  bucketPath,
  Endpoint,
  type Jurisdiction,
  objectPath,
  parseJurisdiction,
} from "./endpoint.js";
export { ConfigError, type ErrorCategory, R2Error, RequestError, SignError } from "./errors.js";
export {
  canonicalComponent,
  decodeToBytes,
  encodeComponent,
  encodePath,
  isSendableQuery,
} from "./percent.js";
export {
  ALGORITHM,
  CanonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  signedHost,
} from "./sign/canonical.js";
export { type Header, type HttpRequest, splitUrl, type UrlParts } from "./sign/request.js";
export {
  EMPTY_SHA256,
  MAX_PRESIGN_EXPIRY_SECONDS,
  type PresignedRequest,
  payloadHashOf,
  type SignatureTrace,
  Signer,
  type SignerOptions,
  UNSIGNED_PAYLOAD,
} from "./sign/sigv4.js";
export { type AmzDate, amzDate, parseAmzDate } from "./timestamp.js";
