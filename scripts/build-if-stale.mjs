#!/usr/bin/env node
// `npm test` runs this instead of `npm run build`: the build (tsc, precompiled templates,
// bundle) takes 10-20 s on two cores and its output depends only on the files hashed
// below, so a test run after an unchanged tree reuses dist/. The stamp is written only
// after a build that succeeded; `npm run build` always builds.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INPUTS = ["src", "templates", "scripts/bundle.mjs", "scripts/precompile-templates.mjs", "tsconfig.json", "package.json", "package-lock.json"];
const STAMP = join(ROOT, "dist/.build-inputs");

function* files(path) {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) for (const e of readdirSync(path).sort()) yield* files(join(path, e));
  else yield path;
}

const hash = createHash("sha256");
hash.update(process.version.split(".")[0]); // a different Node major may bundle differently
for (const input of INPUTS) {
  for (const f of files(join(ROOT, input))) {
    hash.update(relative(ROOT, f)).update("\0").update(readFileSync(f)).update("\0");
  }
}
const digest = hash.digest("hex");
const current = existsSync(STAMP) && existsSync(join(ROOT, "dist/bin.js")) ? readFileSync(STAMP, "utf8").trim() : "";
if (current === digest) {
  console.error("dist/ is up to date with src/ and templates/ (npm run build forces a build)");
} else {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  writeFileSync(STAMP, digest + "\n");
}
