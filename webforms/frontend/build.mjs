// Copies the front-end packages the templates use into webforms/static/vendor/ (git-ignored).
// The pages load only these files: no CDN, so the app works on an intranet with no internet.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
  cpSync(join(here, "node_modules", from), target);
  console.log(`vendor/${to}`);
}
