#!/usr/bin/env node
// Node >= 22.1 can cache compiled code between runs (most of arv-image's start-up is
// compiling zod, commander and handlebars); Node 20 has no such cache and skips this.
// The cache lives in arv-image's own cache directory, made by user-dirs.ts: left to itself,
// Node puts it under TMPDIR, creating a TMPDIR that does not exist (so arv-image could no
// longer tell the user it is wrong) and hanging at full CPU when TMPDIR is under /proc.
import module from "node:module";
import { cacheDir } from "./user-dirs.js";

const { enableCompileCache } = module as { enableCompileCache?: (dir: string) => unknown };
if (enableCompileCache !== undefined) {
  const dir = cacheDir(process.env, "node-compile-cache");
  if (dir !== undefined) enableCompileCache(dir);
}
const { main } = await import("./main.js");
process.exitCode = await main(process.argv.slice(2));
