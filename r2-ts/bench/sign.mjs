// Header signing and presigning: r2-ts beside @smithy/signature-v4 (what
// @aws-sdk/client-s3 signs with, over Node's crypto) and aws4fetch (over
// WebCrypto), interleaved in one run. Prints the median time per call of
// seven rounds and the ratio to r2-ts. Run: `npm ci && npm run bench`.

import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { AwsV4Signer } from "aws4fetch";
import { Credentials, Signer } from "../dist/src/core/index.js";

const accessKeyId = "AKIAIOSFODNN7EXAMPLE";
const secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const host = "0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com";
const path = "/my-bucket/photos/2024/IMG%200001.jpg";
const url = `https://${host}${path}`;
const payload = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
const when = Date.UTC(2024, 4, 1, 12, 34, 56);
const stamp = "20240501T123456Z";

const r2 = new Signer(Credentials.of(accessKeyId, secretAccessKey));
const smithy = new SignatureV4({
  credentials: { accessKeyId, secretAccessKey },
  region: "auto",
  service: "s3",
  sha256: Hash.bind(null, "sha256"),
  uriEscapePath: false,
  applyChecksum: false,
});
const smithyRequest = () =>
  new HttpRequest({
    method: "PUT",
    protocol: "https:",
    hostname: host,
    path,
    headers: { host, "content-type": "image/jpeg", "x-amz-content-sha256": payload },
  });

const clients = {
  header: {
    "r2-ts": async () =>
      r2.sign({ method: "PUT", url, headers: [["content-type", "image/jpeg"]] }, payload, when),
    "@smithy/signature-v4": () => smithy.sign(smithyRequest(), { signingDate: new Date(when) }),
    aws4fetch: () =>
      new AwsV4Signer({
        url,
        method: "PUT",
        headers: { "content-type": "image/jpeg", "x-amz-content-sha256": payload },
        accessKeyId,
        secretAccessKey,
        region: "auto",
        service: "s3",
        datetime: stamp,
      }).sign(),
  },
  presign: {
    "r2-ts": async () => r2.presign({ method: "GET", url, headers: [] }, 3600, when),
    "@smithy/signature-v4": () =>
      smithy.presign(
        new HttpRequest({ method: "GET", protocol: "https:", hostname: host, path, headers: { host } }),
        { expiresIn: 3600, signingDate: new Date(when) },
      ),
    aws4fetch: () =>
      new AwsV4Signer({
        url: `${url}?X-Amz-Expires=3600`,
        method: "GET",
        accessKeyId,
        secretAccessKey,
        region: "auto",
        service: "s3",
        datetime: stamp,
        signQuery: true,
        allHeaders: false,
      }).sign(),
  },
};

const CALLS = 20000;
const ROUNDS = 7;

async function time(fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await fn();
  return Number(process.hrtime.bigint() - start) / CALLS / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`node ${process.version}, ${CALLS} calls per round, median of ${ROUNDS} interleaved rounds\n`);
console.log("| task | client | µs per call | ÷ r2-ts |\n|---|---|---|---|");
for (const [task, group] of Object.entries(clients)) {
  const samples = Object.fromEntries(Object.keys(group).map((name) => [name, []]));
  for (const fn of Object.values(group)) for (let i = 0; i < 2000; i++) await fn();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(group)) samples[name].push(await time(fn));
  }
  const base = median(samples["r2-ts"]);
  for (const [name, xs] of Object.entries(samples)) {
    const m = median(xs);
    console.log(`| ${task} | ${name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)}× |`);
  }
}
