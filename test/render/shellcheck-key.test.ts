/**
 * scripts/shellcheck-key.mjs lets the golden test and try-scripts run shellcheck once for
 * scripts that share a key. That is sound only if scripts with the same key get the same
 * findings: held here with real shellcheck, for values of every kind in the places an unquoted
 * `$NAME` may stand in a script.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellcheckKey, withoutValues } from "../../scripts/shellcheck-key.mjs";
import { requireTool, shellcheck } from "../support/tools.js";

// What arv-image's sh() makes of a value: a single-quoted literal (a quote inside closed, escaped, reopened).
const quoted = (v: string) => `'${v.replaceAll("'", `'"'"'`)}'`;
const VALUES = ["ab", "us-east-1", "/tmp/arv-image", "10.9.8.7", "5", "300", "", "a b", "a*", "a?b", "a[0]", "a\tb", "x'y", "a$b", "a\\b", "-x"];
const SCRIPT = [
  "#!/bin/bash",
  "# shellcheck source=lib/prelude.sh",
  'source "$ARV_PRELUDE"',
  "echo $P",
  '[ $P = x ] && echo "same"',
  "cd $P || exit 1",
  'for w in $P; do echo "$w"; done',
  "case $P in x) echo x ;; esac",
  "(( P > 1 )) || true",
  "",
].join("\n");

const preludeOf = (value: string) => `#!/bin/bash\n# shellcheck shell=bash\nreadonly P=${quoted(value)}\n`;

let tmp: string;
const findings = new Map<string, string>();
beforeAll(async () => {
  await requireTool("shellcheck");
  tmp = mkdtempSync(join(tmpdir(), "arv-image-shellcheck-key-"));
  for (const [i, value] of VALUES.entries()) {
    const dir = join(tmp, String(i));
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, "lib", "prelude.sh"), preludeOf(value));
    writeFileSync(join(dir, "step.sh"), SCRIPT);
    const r = await shellcheck([join(dir, "step.sh")]);
    // The codes and places, without the directory.
    findings.set(value, r.stdout.replaceAll(`${dir}/`, "").trim());
  }
}, 120_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the shellcheck key", () => {
  it("scripts with the same key get the same findings, for values of every kind", () => {
    for (const a of VALUES)
      for (const b of VALUES)
        if (shellcheckKey("step.sh", SCRIPT, preludeOf(a)) === shellcheckKey("step.sh", SCRIPT, preludeOf(b)))
          expect(findings.get(b), `${JSON.stringify(a)} and ${JSON.stringify(b)} share a key`).toBe(findings.get(a));
  });

  it("is not vacuous: values whose findings differ exist, and plain words share a key", () => {
    expect(new Set(findings.values()).size).toBeGreaterThan(1);
    expect(withoutValues(preludeOf("us-east-1"))).toBe(withoutValues(preludeOf("ab")));
    expect(withoutValues(preludeOf("a b"))).not.toBe(withoutValues(preludeOf("ab")));
  });

  it("keeps the script's name and text and the prelude's names in the key", () => {
    const key = shellcheckKey("step.sh", SCRIPT, preludeOf("ab"));
    expect(shellcheckKey("other.sh", SCRIPT, preludeOf("ab"))).not.toBe(key);
    expect(shellcheckKey("step.sh", SCRIPT + "true\n", preludeOf("ab"))).not.toBe(key);
    expect(shellcheckKey("step.sh", SCRIPT, preludeOf("ab").replace("P=", "Q="))).not.toBe(key);
    expect(shellcheckKey("step.sh", SCRIPT, undefined)).not.toBe(key);
  });
});
