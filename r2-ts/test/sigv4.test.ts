/** The TypeScript signer against the golden vectors the Rust core passes, read in place. */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Credentials, payloadHashOf, SignError, Signer } from "../src/core/index.js";
import { parseAmzDate } from "../src/core/timestamp.js";
import { type Case, checkCase, loadBotocore } from "./botocore-vectors.js";
import { repoPath } from "./shared.js";

function caseNamed(name: string): Case {
  const found = loadBotocore().cases.find((c) => c.name === name);
  assert.ok(found, name);
  return structuredClone(found);
}

function blamed(name: string, corrupt: (c: Case) => void): string {
  const c = caseNamed(name);
  corrupt(c);
  const outcome = checkCase(c);
  assert.equal(outcome.kind, "failed", `${name}: a corrupted case gave ${outcome.kind}`);
  return outcome.kind === "failed" ? outcome.mismatch.field : "";
}

describe("botocore vectors (conformance/vectors/s3-botocore)", () => {
  it("passes every case byte for byte", () => {
    const file = loadBotocore();
    assert.equal(file.cases.length, 83);
    assert.equal(file.cases.filter((c) => c.auth === "presign").length, 14);
    const failures = file.cases
      .map((c) => ({ name: c.name, outcome: checkCase(c) }))
      .filter(({ outcome }) => outcome.kind !== "passed");
    assert.deepEqual(failures, []);
  });

  it("blames each wrong value on its field", () => {
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith("0") ? "1" : "0");
    const header = "put-object-metadata-trim";
    const presign = "presign-put-content-type";
    assert.equal(
      blamed(header, (c) => {
        c.payload_hash = "0".repeat(64);
      }),
      "payload_hash",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.canonical_request += " ";
      }),
      "canonical_request",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.string_to_sign = flip(c.expected.string_to_sign);
      }),
      "string_to_sign",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.signed_headers += ";x";
      }),
      "signed_headers",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.signature = flip(c.expected.signature);
      }),
      "signature",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.authorization += "x";
      }),
      "authorization",
    );
    assert.equal(
      blamed(header, (c) => {
        c.expected.headers_out?.pop();
      }),
      "headers_out",
    );
    assert.equal(
      blamed(presign, (c) => {
        c.expected.signature = flip(c.expected.signature);
      }),
      "signature",
    );
    assert.equal(
      blamed(presign, (c) => {
        c.expected.presigned_url += "0";
      }),
      "presigned_url",
    );
    assert.equal(
      blamed(presign, (c) => {
        c.expected.headers_to_send = [];
      }),
      "headers_to_send",
    );
    assert.equal(
      blamed("get-object-simple", (c) => {
        c.timestamp = "20240501T123457Z";
      }),
      "canonical_request",
    );
  });

  it("accepts presign parameters in another order", () => {
    const c = caseNamed("presign-get-session-token");
    const url = c.expected.presigned_url ?? "";
    const [base, query] = url.split("?") as [string, string];
    c.expected.presigned_url = `${base}?${query.split("&").reverse().join("&")}`;
    assert.equal(checkCase(c).kind, "passed");
  });

  it("skips, not fails, a policy-dependent difference", () => {
    const c = structuredClone(loadBotocore().cases.find((x) => x.policy_dependent));
    assert.ok(c);
    assert.equal(checkCase(c).kind, "passed");
    c.expected.signed_headers += ";user-agent";
    assert.equal(checkCase(c).kind, "skipped");
  });
});

const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
  timestamp: "20150830T123600Z",
  vanillaToken: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
};

function caseDirs(root: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (!statSync(path).isDirectory()) continue;
    try {
      statSync(join(path, `${name}.req`));
      found.push(path);
    } catch {
      found.push(...caseDirs(path));
    }
  }
  return found.sort();
}

/** A `.req` file: request line, headers (continuations folded), blank line, body. */
function parseReq(text: string) {
  const split = text.indexOf("\n\n");
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? "" : text.slice(split + 2);
  const [requestLine = "", ...lines] = head.split("\n");
  const space = requestLine.indexOf(" ");
  const method = requestLine.slice(0, space);
  assert.ok(requestLine.endsWith(" HTTP/1.1"), requestLine);
  const target = requestLine.slice(space + 1, -" HTTP/1.1".length);
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    const last = headers[headers.length - 1];
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  const token = headers.find(([n]) => n.toLowerCase() === "x-amz-security-token")?.[1].trim();
  const kept = headers.filter(
    ([n]) => !["x-amz-date", "x-amz-security-token"].includes(n.toLowerCase()),
  );
  const host = kept.find(([n]) => n.toLowerCase() === "host")?.[1].trim() ?? "";
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  let url = `https://${host}${encodeSuitePath(path)}`;
  if (q !== -1) {
    url += "?";
    for (const byte of Buffer.from(target.slice(q + 1), "utf8")) {
      url +=
        byte > 0x20 && byte < 0x7f && byte !== 0x23
          ? String.fromCharCode(byte)
          : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return { method, url, headers: kept, token, body };
}

function encodeSuitePath(path: string): string {
  let out = "";
  for (const byte of Buffer.from(path, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~/]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

describe("AWS SigV4 test suite (conformance/vectors/sigv4-suite)", () => {
  const dirs = caseDirs(repoPath("conformance/vectors/sigv4-suite"));
  it("has the 27 kept cases", () => assert.equal(dirs.length, 27));
  for (const dir of dirs) {
    const name = dir.split("/").pop() ?? dir;
    it(name, () => {
      const read = (ext: string) => readFileSync(join(dir, `${name}.${ext}`), "utf8");
      const parsed = parseReq(read("req"));
      let credentials = Credentials.of(SUITE.accessKeyId, SUITE.secret);
      const token =
        parsed.token ??
        (name === "get-vanilla-with-session-token" ? SUITE.vanillaToken : undefined);
      if (token !== undefined) credentials = credentials.withSessionToken(token);
      const signer = new Signer(credentials, {
        region: SUITE.region,
        service: SUITE.service,
        contentSha256Header: false,
      });
      const now = parseAmzDate(SUITE.timestamp) ?? Number.NaN;
      const payload = payloadHashOf(parsed.body);
      const trace = signer.explain(parsed, payload, now);
      assert.equal(trace.canonicalRequest, read("creq"));
      assert.equal(trace.stringToSign, read("sts"));
      const signed = signer.sign(parsed, payload, now);
      assert.equal(signed.headers.find(([n]) => n === "authorization")?.[1], read("authz"));
    });
  }
});

describe("signing errors", () => {
  const signer = new Signer(Credentials.of("AKID", "secret"));
  const get = { method: "GET", url: "https://h.example/b/k", headers: [] };
  it("refuses expiries outside 1 s to 7 days", () => {
    for (const bad of [0, -1, 1.5, 604801, Number.NaN]) {
      assert.throws(
        () => signer.presign(get, bad, 0),
        (e: unknown) => e instanceof SignError && e.kind === "InvalidExpiry",
      );
    }
    assert.ok(signer.presign(get, 604800, 0).url.includes("X-Amz-Expires=604800"));
  });
  it("refuses a bad payload hash, a relative URL and a header it cannot send", () => {
    assert.throws(
      () => signer.sign(get, "abc", 0),
      (e: unknown) => e instanceof SignError && e.kind === "InvalidPayloadHash",
    );
    assert.throws(() => signer.sign({ ...get, url: "/b/k" }, "UNSIGNED-PAYLOAD", 0), SignError);
    assert.throws(
      () => signer.sign({ ...get, headers: [["x-a", "1\r\nx-b: 2"]] }, "UNSIGNED-PAYLOAD", 0),
      SignError,
    );
  });
  it("refuses a time outside the years 1970 to 9999", () => {
    assert.throws(() => signer.sign(get, "UNSIGNED-PAYLOAD", 253402300800000), SignError);
  });
});
