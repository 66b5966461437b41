// The core stays pure: no I/O, timers, clock reads, randomness or Node
// built-ins. `tsconfig.core.json` typechecks src/core with the bare ES2022
// library (so `fetch`, `setTimeout`, `process`, `crypto` do not exist there);
// this script catches what that library does declare.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const banned = [
  [/\bDate\.now\s*\(/, "Date.now(): time comes in as an argument"],
  [/\bnew Date\s*\(\s*\)/, "new Date(): time comes in as an argument"],
  [/\bMath\.random\s*\(/, "Math.random(): seeds come in as arguments"],
  [/\bperformance\./, "performance: time comes in as an argument"],
  [/from\s+["']node:/, "a Node built-in"],
  [/\bimport\s*\(/, "a dynamic import"],
  [/\bglobalThis\b/, "globalThis"],
];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const root = new URL("../src/core", import.meta.url).pathname;
const problems = [];
for (const file of files(root)) {
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    for (const [pattern, why] of banned) {
      if (pattern.test(line)) problems.push(`${file}:${i + 1}: ${why}`);
    }
  });
}
if (problems.length > 0) {
  console.error(`src/core must stay pure:\n${problems.join("\n")}`);
  process.exit(1);
}
console.log(`src/core is pure (${files(root).length} files checked)`);
