// When two rendered scripts get the same shellcheck findings, for the checks that run
// shellcheck once per distinct script (test/golden/golden.test.ts, scripts/try-scripts.mjs).
// A step script is checked with the prelude it sources (`-x`), so the key holds the prelude
// too, its values aside: they are single-quoted literals (`readonly NAME='…'`), and shellcheck
// reports nothing in a sourced file and never follows a variable's value, so a script's
// findings depend only on which names the prelude defines. Each distinct prelude, values and
// all, is still checked on its own by both callers.
import { createHash } from "node:crypto";

/** The prelude with every value left out (`readonly NAME='…'` becomes `readonly NAME=`). */
export const withoutValues = (prelude) => prelude.replace(/^(readonly [A-Z0-9_]+=)'.*'$/gm, "$1");

/** The key of `name` (a file name) with `text`, checked beside `prelude` (undefined: it sources none). */
export function shellcheckKey(name, text, prelude) {
  return createHash("sha256")
    .update(`${name}\0${text}\0${prelude === undefined ? "" : withoutValues(prelude)}`)
    .digest("hex");
}
