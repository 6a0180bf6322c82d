/**
 * Raw control characters (NUL, ESC sequences, newlines, CR, DEL, C1, U+2028, bidi overrides)
 * from any flag never reach a rendered file or the terminal: over the whole flag table, a value
 * with one is either refused, with problems that show it escaped, or (where the flag's own
 * syntax drops it, e.g. spaces around a comma-separated list) renders files without any.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAGS } from "../../dist/config/flags.js";
import { resolveConfig } from "../../dist/config/resolve.js";
import { renderBuildDir } from "../../dist/render/build-dir.js";
import { CONTROL_CHAR, withControl } from "../support/arbitrary.js";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { rawOptions } from "../support/resolve.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-control-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Command = Parameters<typeof rawOptions>[0];
const BASE: Record<string, string[]> = {
  aws: ["--cloud", "aws"],
  azure: ["--cloud", "azure", "--azure-resource-group", "rg", "--azure-sku", "12-gen2"],
  gcp: ["--cloud", "gcp", "--gcp-project-id", "my-project"],
};
/** A command line that resolves, for `command`, with the flag's cloud. */
function baseArgs(command: Command, cloud: string | undefined): string[] {
  const image = ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
  if (command === "gc") return cloud === "azure" ? ["--cloud", "azure"] : ["--cloud", cloud ?? "aws"];
  if (command === "provision") return [...image, "--ssh-host", "10.0.0.1", "--ssh-private-key-file", join(dir, "id")];
  return [...(BASE[cloud ?? "aws"] ?? []), ...image, ...(command === "render" ? ["--out", join(dir, "never")] : [])];
}
function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}
// Rendered files have their own newlines and tabs; anything else is out.
const IN_FILE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const ROWS = FLAGS.filter((f) => f.kind === "value" || f.kind === "list");

describe("control characters in any flag", () => {
  beforeAll(() => writeFileSync(join(dir, "id"), "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n"));

  it.each(ROWS.map((f) => [f.name, f] as const))("--%s: refused with the value shown escaped, or never reaching a file", async (_name, f) => {
    const command = ((f.commands as readonly string[]).includes("render") ? "render" : f.commands[0]) as Command;
    await fc.assert(
      fc.asyncProperty(withControl, async (value) => {
        const raw = rawOptions(command, [...baseArgs(command, f.cloud), `--${f.name}`, value]);
        const r = await resolveConfig({ command, raw, detectedPackerVersion: "1.6.6" });
        if (!r.ok) {
          expect(r.problems.length).toBeGreaterThan(0);
          for (const p of r.problems) expect(p).not.toMatch(CONTROL_CHAR);
          return;
        }
        // Accepted: whatever the flag's syntax kept has no control character, in the
        // configuration or in any file rendered from it.
        expect(strings(r.config.options).filter((s) => CONTROL_CHAR.test(s))).toEqual([]);
        if (r.config.cloud !== undefined && !r.config.legacyTemplate) {
          for (const file of renderBuildDir(r.config, r.config.cloud).files) expect(file.content, file.path).not.toMatch(IN_FILE);
        }
      }),
      { numRuns: 6 },
    );
  });

  it("the real CLI shows an escape sequence escaped, never raw", async () => {
    const r = await runCli([
      "render",
      "--out",
      join(dir, "never"),
      "--cloud",
      "aws",
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--aws-profile",
      "\u001b[2J\u001b]0;pwned\u0007x\u0085",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--aws-profile "\\u001b[2J\\u001b]0;pwned\\u0007x\\u0085": it contains a control character');
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
