/**
 * The package root (where package.json and templates/ are), found by walking up from
 * this module: the same code runs unbundled (dist/render/engine.js) and bundled
 * (dist/bin.js and its chunks under dist/chunks/).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json")) && existsSync(join(d, "templates"))) return d;
    if (dirname(d) === d) throw new Error(`arv-image: cannot find its package root (templates/) above ${start}`);
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const TEMPLATES_DIR = join(PACKAGE_ROOT, "templates") + "/";
