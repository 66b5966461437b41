/** Signing times: the `X-Amz-Date` form, from a time the caller passes in. */

import { SignError } from "./errors.js";

/** A signing time: `YYYYMMDDTHHMMSSZ` and its date `YYYYMMDD`. */
export interface AmzDate {
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly stamp: string;
  /** `YYYYMMDD`, the credential scope's date. */
  readonly date: string;
  /** Milliseconds since the Unix epoch, whole seconds. */
  readonly epochMs: number;
}

const MAX_EPOCH_MS = 253402300799000; // 9999-12-31T23:59:59Z

/** The last signing time made: calls within one second share it (a pure cache of a pure function). */
let last: AmzDate | undefined;

/** The signing time of `epochMs` (milliseconds since the epoch; the fraction of a second is dropped). */
export function amzDate(epochMs: number): AmzDate {
  if (!Number.isFinite(epochMs) || epochMs < 0 || epochMs > MAX_EPOCH_MS) {
    throw new SignError("TimestampOutOfRange", "signing time is outside the years 1970 to 9999");
  }
  const whole = Math.floor(epochMs / 1000) * 1000;
  if (last?.epochMs === whole) return last;
  const iso = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  last = { stamp, date: stamp.slice(0, 8), epochMs: whole };
  return last;
}

/** Parses `YYYYMMDDTHHMMSSZ` into milliseconds since the epoch, or `undefined`. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return ms;
}
