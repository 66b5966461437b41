/** Bytes and text: UTF-8 and lower-case hex, without platform globals. */

import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  // Signing hashes short ASCII strings; copying them is faster than TextEncoder.
  if (text.length > 512) return utf8ToBytes(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return utf8ToBytes(text);
    out[i] = c;
  }
  return out;
}

/** `bytes` as lower-case hex. */
export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** True when every character of `text` is visible ASCII (0x21–0x7e). */
export function isVisibleAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
