/**
 * The provisioning scripts, rendered with eight switch combinations and hostile values:
 * shellcheck-clean, values round-trip, file edits idempotent, units verified
 * (scripts/try-scripts.mjs does the work and says what it checks).
 */
import { describe, expect, it } from "vitest";
import { REPO, run } from "../support/cli.js";
import { requireTool } from "../support/tools.js";

describe("provisioning scripts", () => {
  it("pass scripts/try-scripts.mjs", { timeout: 600_000 }, async () => {
    await requireTool("shellcheck");
    const r = await run(process.execPath, [`${REPO}scripts/try-scripts.mjs`, "--quiet"]);
    expect(r.stderr + r.stdout).toMatch(/all checks passed/);
    expect(r.code).toBe(0);
  });
});
