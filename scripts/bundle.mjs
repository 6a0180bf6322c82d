#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundle the CLI (tsc's dist/entry.js and everything
// it imports, zod, commander and execa included) into dist/bin.js plus one chunk per
// command under dist/chunks/. (tsc's per-module output stays in dist/ for the scripts
// and tests that import single modules.)
// Node 20 has no compile cache, and resolving and loading zod's ~100 ES modules alone
// costs ~45 ms of every start; bundled and tree-shaken, `render` starts about 40% faster.
// The AWS SDK is bundled too, from its ES modules ("module" before "main"): tree-shaken to
// the EC2 commands arv-image sends, it loads in ~30 ms and ~10 MB, where the package's
// CommonJS build builds the schemas of all ~750 EC2 operations (0.15-0.4 s, ~70 MB; a
// successful AWS build loads it to untag the new AMI, which was the peak of `build`'s memory).
// The Azure SDK stays external (loaded only by Azure preflight and gc), and so does
// Handlebars' compiler (required at run time only when a template changed since the build);
// its runtime is bundled. pino stays external too: it is loaded (~20 ms) only for
// `--log-format json` (src/events.ts imports it lazily), so every other run never pays for it;
// bundling it would add its CommonJS graph to the chunks for nothing and break its worker-thread
// transports, which resolve their files by path (arv-image uses none, a later change might).
import { chmodSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
rmSync(`${ROOT}dist/chunks`, { recursive: true, force: true });
await build({
  cwd: ROOT,
  input: { bin: "dist/entry.js" },
  platform: "node",
  resolve: { mainFields: ["module", "main"] },
  external: [/^node:/, /^@azure\//, /^handlebars$/, /^pino(\/|$)/],
  logLevel: "warn",
  output: { dir: "dist", format: "esm", entryFileNames: "[name].js", chunkFileNames: "chunks/[name]-[hash].js" },
});
chmodSync(`${ROOT}dist/bin.js`, 0o755);
