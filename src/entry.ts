#!/usr/bin/env node
// Node >= 22.1 can cache compiled code between runs (most of arv-image's start-up is
// compiling zod, commander and handlebars); Node 20 has no such cache and skips this.
import module from "node:module";

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import("./main.js");
process.exitCode = await main(process.argv.slice(2));
