// When two rendered scripts get the same shellcheck findings, for the checks that run
// shellcheck once per distinct script (test/golden/golden.test.ts, scripts/try-scripts.mjs).
// A step script is checked with the prelude it sources (`-x`), so the key holds the prelude
// too. shellcheck reads a single-quoted literal (`readonly NAME='…'`): a value with a space, a
// glob character or a quote in it, or an empty one, makes `$NAME` unquoted a finding (SC2086,
// SC2090), a plain word does not (measured with shellcheck 0.9). So the key keeps each value's
// kind: a plain word (letters, digits and _ . / : @ % + = , ~ ^ -) becomes `w`, digits alone
// `0`, and any other value stays as it is. Each distinct prelude, values and all, is still
// checked on its own by both callers.
import { createHash } from "node:crypto";

const kind = (value) => (/^[0-9]+$/.test(value) ? "0" : /^[A-Za-z0-9_./:@%+=,~^-]+$/.test(value) ? "w" : value);

/** The prelude with each plain value replaced by its kind (`readonly NAME='us-east-1'` becomes `readonly NAME='w'`). */
export const withoutValues = (prelude) => prelude.replace(/^(readonly [A-Z0-9_]+=)'([^']*)'$/gm, (_, lead, value) => `${lead}'${kind(value)}'`);

/** The key of `name` (a file name) with `text`, checked beside `prelude` (undefined: it sources none). */
export function shellcheckKey(name, text, prelude) {
  return createHash("sha256")
    .update(`${name}\0${text}\0${prelude === undefined ? "" : withoutValues(prelude)}`)
    .digest("hex");
}
