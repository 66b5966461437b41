/** Credentials and configuration: validation, and secrets never shown. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import {
  ConfigError,
  Credentials,
  Endpoint,
  encodePath,
  objectPath,
  parseJurisdiction,
  Signer,
} from "../src/core/index.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN";

describe("credentials", () => {
  it("never show the secret or the token", () => {
    const creds = Credentials.of("AKIAIOSFODNN7EXAMPLE", SECRET).withSessionToken(TOKEN);
    const signer = new Signer(creds);
    for (const shown of [
      String(creds),
      `${creds}`,
      JSON.stringify(creds),
      JSON.stringify({ nested: creds }),
      inspect(creds),
      inspect({ deep: { creds } }, { depth: 5 }),
      String(signer),
      JSON.stringify(signer),
      inspect(signer),
    ]) {
      assert.ok(!shown.includes(SECRET) && !shown.includes(TOKEN), shown);
      assert.ok(shown.includes("AKIAIOSFODNN7EXAMPLE"), shown);
    }
    assert.equal(creds.exposeSecretAccessKey(), SECRET);
  });

  it("are validated as the Rust core validates them", () => {
    const kind = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.category, "config");
        assert.ok(!e.message.includes(SECRET));
        return e.kind;
      }
      return "accepted";
    };
    assert.equal(
      kind(() => Credentials.of("", SECRET)),
      "InvalidAccessKeyId",
    );
    assert.equal(
      kind(() => Credentials.of("a b", SECRET)),
      "InvalidAccessKeyId",
    );
    assert.equal(
      kind(() => Credentials.of("x".repeat(129), SECRET)),
      "InvalidAccessKeyId",
    );
    assert.equal(
      kind(() => Credentials.of("x".repeat(128), SECRET)),
      "accepted",
    );
    assert.equal(
      kind(() => Credentials.of("AKID", "")),
      "EmptySecretAccessKey",
    );
    assert.equal(
      kind(() => Credentials.of("AKID", SECRET).withSessionToken("a b")),
      "InvalidSessionToken",
    );
    assert.equal(
      kind(() => Credentials.of("AKID", SECRET).withSessionToken("")),
      "InvalidSessionToken",
    );
  });

  it("derive from an R2 API token as Cloudflare does (secret = hex SHA-256 of the value)", () => {
    const creds = Credentials.fromApiToken("0123abcd", "token-value");
    assert.equal(creds.accessKeyId, "0123abcd");
    // sha256("token-value"), computed with `printf token-value | sha256sum`.
    assert.equal(
      creds.exposeSecretAccessKey(),
      "e6c02a5742ea9d4de588eb9b9de7bed43dc17011552186bed3e98b2c5958ff4a",
    );
  });
});

describe("endpoints", () => {
  const account = "0A1B2C3D4E5F60718293A4B5C6D7E8F9";
  it("come from an account id, optionally in a jurisdiction", () => {
    assert.equal(
      Endpoint.forAccount(account).url,
      "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com",
    );
    assert.equal(
      Endpoint.forAccount(account, parseJurisdiction("EU")).url,
      "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.eu.r2.cloudflarestorage.com",
    );
    assert.equal(
      Endpoint.forAccount(account, "fedramp").authority,
      "0a1b2c3d4e5f60718293a4b5c6d7e8f9.fedramp.r2.cloudflarestorage.com",
    );
    assert.throws(
      () => Endpoint.forAccount(""),
      (e: unknown) => e instanceof ConfigError && e.kind === "EmptyAccountId",
    );
    assert.throws(
      () => Endpoint.forAccount("abc"),
      (e: unknown) => e instanceof ConfigError && e.kind === "MalformedAccountId",
    );
    assert.throws(
      () => parseJurisdiction("mars"),
      (e: unknown) => e instanceof ConfigError && e.kind === "UnknownJurisdiction",
    );
  });

  it("parse explicit URLs strictly", () => {
    assert.equal(Endpoint.parse("http://127.0.0.1:9000").url, "http://127.0.0.1:9000");
    assert.equal(Endpoint.parse("https://[::1]:8443/").authority, "[::1]:8443");
    for (const bad of [
      "ftp://h",
      "https://",
      "https://u:p@h",
      "https://h/path",
      "https://h?x=1",
      "h:9000",
      "https://h:99999",
    ]) {
      assert.throws(
        () => Endpoint.parse(bad),
        (e: unknown) => e instanceof ConfigError && e.kind === "InvalidEndpoint",
        bad,
      );
    }
  });

  it("send every key exactly: one encoding, no normalisation", () => {
    assert.equal(objectPath("b", "./../a//b"), "/b/./../a//b");
    assert.equal(objectPath("b", "a+b %/ü.txt"), "/b/a%2Bb%20%25/%C3%BC.txt");
    assert.equal(encodePath("日本/語"), "%E6%97%A5%E6%9C%AC/%E8%AA%9E");
  });
});
