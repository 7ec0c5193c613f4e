// Builds what the templates load into webforms/static/vendor/ (git-ignored), from node_modules only:
// no CDN, so the app works on an intranet with no internet.
// 1. copies prebuilt files (Pico, the bpmn-js viewer the instance page uses);
// 2. bundles the process owners' modeler (src/modeler.js) with esbuild into vendor/modeler/, and the
//    decision table editor (src/dmn.js, dmn-js 17) into vendor/dmn/.
// 3. bundles the reports page's charts (src/reports.js, Chart.js) into vendor/reports/
import { cpSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "static", "vendor");
const files = {
  "@picocss/pico/css/pico.min.css": "pico/pico.min.css",
  "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-js/bpmn-navigated-viewer.production.min.js",
  "bpmn-js/dist/assets/diagram-js.css": "bpmn-js/diagram-js.css",
  "bpmn-js/dist/assets/bpmn-js.css": "bpmn-js/bpmn-js.css",
};

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(here, "node_modules", from), target, { recursive: true });
  console.log(`vendor/${to}`);
}

const fonts = Object.fromEntries(["eot", "svg", "ttf", "woff", "woff2"].map((ext) => [`.${ext}`, "file"]));
await build({
  entryPoints: [join(here, "src", "modeler.js")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "WuyeModeler",
  loader: { ...fonts, ".png": "dataurl" },
  outdir: join(vendor, "modeler"),
  logLevel: "warning",
  legalComments: "linked",
});
await build({
  entryPoints: [join(here, "src", "dmn.js")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "WuyeDmn",
  loader: fonts,
  define: { "process.env.NODE_ENV": '"production"' },
  outdir: join(vendor, "dmn"),
  logLevel: "warning",
  legalComments: "linked",
});
const dmnSize = statSync(join(vendor, "dmn", "dmn.js")).size;
console.log(`vendor/dmn/dmn.js ${(dmnSize / 1024 / 1024).toFixed(2)} MB`);
const size = statSync(join(vendor, "modeler", "modeler.js")).size;
console.log(`vendor/modeler/modeler.js ${(size / 1024 / 1024).toFixed(2)} MB`);

// 3. the reports page's charts: Chart.js bundled with our small entry (src/reports.js).
await build({
  entryPoints: [join(here, "src", "reports.js")],
  bundle: true,
  minify: true,
  format: "iife",
  outdir: join(vendor, "reports"),
  logLevel: "warning",
  legalComments: "linked",
});
console.log(`vendor/reports/reports.js ${(statSync(join(vendor, "reports", "reports.js")).size / 1024).toFixed(0)} KB`);
