#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundle the CLI (tsc's dist/entry.js and everything
// it imports, zod, commander and execa included) into dist/bin.js plus one chunk per
// command under dist/chunks/. (tsc's per-module output stays in dist/ for the scripts
// and tests that import single modules.)
// Node 20 has no compile cache, and resolving and loading zod's ~100 ES modules alone
// costs ~45 ms of every start; bundled and tree-shaken, `render` starts about 40% faster.
// The cloud SDKs stay external (large, loaded only by preflight), and so does Handlebars'
// compiler (required at run time only when a template changed since the build); its
// runtime is bundled.
import { chmodSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
rmSync(`${ROOT}dist/chunks`, { recursive: true, force: true });
await build({
  cwd: ROOT,
  input: { bin: "dist/entry.js" },
  platform: "node",
  external: [/^node:/, /^@aws-sdk\//, /^@azure\//, /^@smithy\//, /^handlebars$/, /^pino(\/|$)/],
  logLevel: "warn",
  output: { dir: "dist", format: "esm", entryFileNames: "[name].js", chunkFileNames: "chunks/[name]-[hash].js" },
});
chmodSync(`${ROOT}dist/bin.js`, 0o755);
