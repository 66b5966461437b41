/**
 * The error taxonomy, shared with the Rust core (`r2_proto::R2Error`): every
 * error has a `category` with the same names as `R2Error::category()` and,
 * for errors the server reported, the S3 `code`.
 */

/** The categories of `R2Error::category()` in the Rust core. */
export type ErrorCategory =
  | "config"
  | "request"
  | "sign"
  | "auth"
  | "bucket"
  | "object"
  | "multipart"
  | "server"
  | "invalid_request"
  | "transfer"
  | "network"
  | "response"
  | "unrecognized"
  | "circuit_open"
  | "upload";

/** Base class of every error the core raises. */
export class R2Error extends Error {
  /** The category, as in the Rust core. */
  readonly category: ErrorCategory;
  /** The kind within the category (`InvalidAccessKeyId`, `MissingHost`, …): the Rust variant's name. */
  readonly kind: string;

  /** An error of `category` and `kind`, with a message for people. */
  constructor(category: ErrorCategory, kind: string, message: string) {
    super(message);
    this.name = "R2Error";
    this.category = category;
    this.kind = kind;
  }
}

/** A configuration that cannot work: bad credentials, account id, endpoint. */
export class ConfigError extends R2Error {
  /** A configuration error of `kind` (the Rust `ConfigError` variant). */
  constructor(kind: string, message: string) {
    super("config", kind, message);
    this.name = "ConfigError";
  }
}

/** A request that cannot be signed: no host, a bad expiry, a bad scope. */
export class SignError extends R2Error {
  /** A signing error of `kind` (the Rust `SignError` variant). */
  constructor(kind: string, message: string) {
    super("sign", kind, message);
    this.name = "SignError";
  }
}

/** A request the client refuses to build: a bad name, key or header. */
export class RequestError extends R2Error {
  /** A request error of `kind` (the Rust `RequestError` variant). */
  constructor(kind: string, message: string) {
    super("request", kind, message);
    this.name = "RequestError";
  }
}
