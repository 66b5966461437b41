/** Paths of the Rust suite's shared files, read in place (never copied). */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root (tests run from `dist/test/`). */
const ROOT = new URL("../../../", import.meta.url);

/** The absolute path of `relative` under the repository root. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, ROOT));
}

/** The text of a shared file. */
export function readShared(relative: string): string {
  return readFileSync(repoPath(relative), "utf8");
}
