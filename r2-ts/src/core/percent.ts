/**
 * Percent-encoding the way S3's SigV4 wants it (as `r2_proto::percent`).
 *
 * Only the RFC 3986 unreserved bytes `A-Z a-z 0-9 - . _ ~` stay literal;
 * every other byte of the UTF-8 text becomes `%XX` with upper-case hex.
 * Paths keep `/`; query names and values encode it. Space is `%20`, never `+`.
 */

import { utf8 } from "./bytes.js";

const HEX = "0123456789ABCDEF";

/** True for the bytes SigV4 never encodes. */
export function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

function hexValue(byte: number): number | undefined {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return undefined;
}

function isPlainAscii(text: string, keepSlash: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(isUnreserved(c) || (keepSlash && c === 0x2f))) return false;
  }
  return true;
}

function encodeBytes(bytes: Uint8Array, keepSlash: boolean): string {
  let out = "";
  for (const byte of bytes) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${HEX[byte >> 4]}${HEX[byte & 0x0f]}`;
    }
  }
  return out;
}

/** `text` encoded as an S3 object path: every byte but the unreserved ones and `/`. */
export function encodePath(text: string): string {
  return isPlainAscii(text, true) ? text : encodeBytes(utf8(text), true);
}

/** `text` encoded as a query name or value: every byte but the unreserved ones, `/` included. */
export function encodeComponent(text: string): string {
  return isPlainAscii(text, false) ? text : encodeBytes(utf8(text), false);
}

/** Bytes already percent-encoded (ASCII) encoded once more as a component: for raw bytes. */
export function encodeComponentBytes(bytes: Uint8Array): string {
  return encodeBytes(bytes, false);
}

/**
 * Decodes `%XX` escapes into bytes. A `%` not followed by two hex digits is
 * kept; `+` stays `+` (S3 does not read it as a space).
 */
export function decodeToBytes(text: string): Uint8Array {
  const input = utf8(text);
  const out = new Uint8Array(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] ?? 0;
    if (byte === 0x25) {
      const hi = hexValue(input[i + 1] ?? -1);
      const lo = hexValue(input[i + 2] ?? -1);
      if (hi !== undefined && lo !== undefined) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** True if `component` is already in SigV4 canonical form. */
function isCanonicalComponent(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component.charCodeAt(i);
    if (isUnreserved(c)) continue;
    if (c !== 0x25) return false;
    const hiChar = component.charCodeAt(i + 1);
    const loChar = component.charCodeAt(i + 2);
    const lower = (x: number) => x >= 0x61 && x <= 0x7a;
    if (Number.isNaN(hiChar) || Number.isNaN(loChar) || lower(hiChar) || lower(loChar)) {
      return false;
    }
    const hi = hexValue(hiChar);
    const lo = hexValue(loChar);
    if (hi === undefined || lo === undefined || isUnreserved((hi << 4) | lo)) return false;
    i += 2;
  }
  return true;
}

/** A query name or value in SigV4 canonical form: decoded once, then encoded. */
export function canonicalComponent(component: string): string {
  return isCanonicalComponent(component)
    ? component
    : encodeComponentBytes(decodeToBytes(component));
}

/** True when `query` is sendable as is: visible ASCII without `#`. */
export function isSendableQuery(query: string): boolean {
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x23) return false;
  }
  return true;
}
