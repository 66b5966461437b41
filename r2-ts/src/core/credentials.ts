/**
 * Credentials: an access key id (not secret), a secret access key and an
 * optional session token. The secret and the token live in private fields
 * and never appear in `String(…)`, `JSON.stringify(…)`, `util.inspect(…)`
 * or an error message.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { hex, isVisibleAscii, utf8 } from "./bytes.js";
import { ConfigError } from "./errors.js";
import { isUnreserved } from "./percent.js";

/** Node's `util.inspect` looks for this symbol; it is a registry symbol, no import needed. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

function isValidAccessKeyId(id: string): boolean {
  if (id.length === 0 || id.length > 128) return false;
  for (let i = 0; i < id.length; i++) {
    if (!isUnreserved(id.charCodeAt(i))) return false;
  }
  return true;
}

/** S3 credentials for signing. */
export class Credentials {
  /** The access key id (travels in every `Authorization` header; not secret). */
  readonly accessKeyId: string;
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | undefined;

  private constructor(accessKeyId: string, secret: string, token: string | undefined) {
    this.accessKeyId = accessKeyId;
    this.#secretAccessKey = secret;
    this.#sessionToken = token;
  }

  /**
   * Credentials from an access key id (1 to 128 characters of
   * `A-Z a-z 0-9 - . _ ~`) and a non-empty secret access key.
   */
  static of(accessKeyId: string, secretAccessKey: string): Credentials {
    if (!isValidAccessKeyId(accessKeyId)) {
      throw new ConfigError(
        "InvalidAccessKeyId",
        "the access key id must be 1 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'",
      );
    }
    if (secretAccessKey.length === 0) {
      throw new ConfigError("EmptySecretAccessKey", "the secret access key is empty");
    }
    return new Credentials(accessKeyId, secretAccessKey, undefined);
  }

  /**
   * The S3 credentials of an R2 API token, as Cloudflare derives them: the
   * access key id is the token's id, the secret the lower-case hex SHA-256
   * of the token's value.
   */
  static fromApiToken(tokenId: string, tokenValue: string): Credentials {
    if (tokenValue.length === 0) {
      throw new ConfigError("EmptySecretAccessKey", "the secret access key is empty");
    }
    return Credentials.of(tokenId, hex(sha256(utf8(tokenValue))));
  }

  /** These credentials with the session token of temporary credentials (visible ASCII). */
  withSessionToken(token: string): Credentials {
    if (token.length === 0 || !isVisibleAscii(token)) {
      throw new ConfigError(
        "InvalidSessionToken",
        "the session token must be non-empty visible ASCII",
      );
    }
    return new Credentials(this.accessKeyId, this.#secretAccessKey, token);
  }

  /** The secret access key, for the signer only. */
  exposeSecretAccessKey(): string {
    return this.#secretAccessKey;
  }

  /** The session token, for the signer only. */
  exposeSessionToken(): string | undefined {
    return this.#sessionToken;
  }

  /** True when a session token is set. */
  get hasSessionToken(): boolean {
    return this.#sessionToken !== undefined;
  }

  /** A redacted description. */
  toString(): string {
    const token = this.#sessionToken === undefined ? "" : ", sessionToken: ***";
    return `Credentials { accessKeyId: ${this.accessKeyId}, secretAccessKey: ***${token} }`;
  }

  /** The redacted form `JSON.stringify` writes. */
  toJSON(): Record<string, string> {
    const shown = { accessKeyId: this.accessKeyId, secretAccessKey: "***" };
    return this.#sessionToken === undefined ? shown : { ...shown, sessionToken: "***" };
  }

  /** The redacted form `util.inspect` (and so `console.log`) shows. */
  [INSPECT](): string {
    return this.toString();
  }
}
