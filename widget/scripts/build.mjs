// Builds the widget into the Python package (collector/static/) and enforces the size budget:
// each file must stay at or under 5 KB gzip, or the build fails.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const OUT = new URL("../../collector/static/", import.meta.url);
const BUDGET = 5 * 1024;
const options = { bundle: false, minify: true, target: "es2019", write: false, legalComments: "none", charset: "utf8" };

const transform = async (file) => (await build({ ...options, entryPoints: [file] })).outputFiles[0].text;

const ui = await transform("src/ui.js");
const uiVersion = createHash("sha256").update(ui).digest("hex").slice(0, 10);
const core = (await transform("src/core.js")).replace("__UI_VERSION__", uiVersion);

let failed = false;
console.log("file            raw B   gzip B  budget");
for (const [name, code] of [["widget.js", core], ["widget-ui.js", ui]]) {
  writeFileSync(new URL(name, OUT), code);
  const raw = Buffer.byteLength(code);
  const gz = gzipSync(code, { level: 9 }).length;
  const ok = gz <= BUDGET;
  failed ||= !ok;
  console.log(`${name.padEnd(14)} ${String(raw).padStart(6)} ${String(gz).padStart(8)}  ${ok ? "ok" : "OVER"} (${BUDGET})`);
}
if (failed) {
  console.error("widget build: over the 5 KB gzip budget");
  process.exit(1);
}
