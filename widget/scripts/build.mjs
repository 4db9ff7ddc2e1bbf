// Builds the widget into the Python package (collector/static/) and enforces the size budget:
// each file must stay at or under 5 KB gzip, or the build fails.
// src/core/ is bundled into widget.js, src/ui/ into widget-ui.js: each an IIFE, minified.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const OUT = new URL("../../collector/static/", import.meta.url);
const BUDGET = 5 * 1024;
const UI_VERSION = "__UI_VERSION__"; // placeholder in src/core/prompt.js: the UI build's content hash
const options = {
  bundle: true,
  format: "iife",
  minify: true,
  target: "es2019",
  write: false,
  legalComments: "none",
  charset: "utf8",
};

const bundle = async (file) => (await build({ ...options, entryPoints: [file] })).outputFiles[0].text;

const ui = await bundle("src/ui/index.js");
const uiVersion = createHash("sha256").update(ui).digest("hex").slice(0, 10);
const coreBuild = await bundle("src/core/index.js");
if (!coreBuild.includes(UI_VERSION)) {
  console.error(`widget build: ${UI_VERSION} not found in the core build`);
  process.exit(1);
}
const core = coreBuild.replace(UI_VERSION, uiVersion);

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

// The interactive API reference (/docs) is Swagger UI from the npm registry,
// copied next to the widget so the app serves it itself: no CDN, and the
// page's CSP (scripts from 'self' only) holds.
const DOCS = new URL("docs/", OUT);
mkdirSync(DOCS, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(new URL(`../node_modules/swagger-ui-dist/${name}`, import.meta.url), new URL(name, DOCS));
}
console.log("docs/           swagger-ui-bundle.js, swagger-ui.css (swagger-ui-dist)");

