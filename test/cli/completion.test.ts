/** `arv-image completion`: scripts generated from the flag table, checked by the shells themselves. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAGS, flagsFor } from "../../dist/config/flags.js";
import { REPO, runCli } from "../support/cli.js";

const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
const scripts: Record<string, string> = {};
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = r.stdout;
    writeFileSync(join(dir, `arv-image.${shell}`), r.stdout);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash's completion function offers for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const out = execFileSync(
    "bash",
    ["-c", `source "$1"; COMP_WORDS=(arv-image ${quoted}); COMP_CWORD=${words.length}; _arv_image; printf '%s\\n' "\${COMPREPLY[@]}"`, "bash", join(dir, "arv-image.bash")],
    { cwd: REPO, encoding: "utf8" },
  );
  return out.split("\n").filter((l) => l !== "");
}

describe("bash completion", () => {
  it("is valid bash", () => {
    expect(spawnSync("bash", ["-n", join(dir, "arv-image.bash")]).status).toBe(0);
  });

  it("completes the commands", () => {
    expect(complete("pro")).toEqual(["provision"]);
    expect(complete("")).toEqual(expect.arrayContaining(["render", "build", "gc", "completion"]));
  });

  it("completes `build --aws-` to build's AWS flags", () => {
    const expected = flagsFor("build")
      .flatMap((f) => [`--${f.name}`, ...(f.kind === "negatable" ? [`--no-${f.name}`] : [])])
      .filter((n) => n.startsWith("--aws-"));
    expect(expected.length).toBeGreaterThan(10);
    expect(complete("build", "--aws-").sort()).toEqual(expected.sort());
  });

  it("completes `gc --arvados` to nothing: gc takes no image flags", () => {
    expect(complete("gc", "--arvados")).toEqual([]);
    expect(complete("gc", "--older")).toEqual(["--older-than"]);
  });

  it("offers an enum flag's values, files for a file flag, nothing for free text", () => {
    expect(complete("build", "--cloud", "")).toEqual(["aws", "azure", "gcp"]);
    expect(complete("render", "--runtime-engine", "s")).toEqual(["singularity"]);
    expect(complete("build", "--public-key-file", "test/fixtures/disp")).toEqual(["test/fixtures/dispatch.pub"]);
    expect(complete("render", "--out", "test/fix")).toEqual(["test/fixtures"]);
    expect(complete("render", "--aws-region", "")).toEqual([]);
    expect(complete("render", "--workdir", "/")).toEqual([]); // a path on the builder VM, not here
    expect(complete("completion", "")).toEqual(["bash", "zsh", "fish"]);
  });

  it("knows every flag of the table", () => {
    for (const f of FLAGS) expect(scripts.bash).toContain(`--${f.name}`);
  });
});

describe.skipIf(!has("zsh"))("zsh completion", () => {
  it("is valid zsh", () => {
    const r = spawnSync("zsh", ["-n", join(dir, "arv-image.zsh")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe.skipIf(!has("fish"))("fish completion", () => {
  it("is valid fish", () => {
    const r = spawnSync("fish", ["-n", join(dir, "arv-image.fish")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  it("offers build's AWS flags and no image flags to gc", () => {
    const run = (line: string) =>
      spawnSync("fish", ["-c", `source $argv[1]; complete -C ${JSON.stringify(line)}`, join(dir, "arv-image.fish")], { encoding: "utf8" })
        .stdout.split("\n")
        .map((l) => l.split("\t")[0])
        .filter((l) => l !== "");
    expect(run("arv-image build --aws-reg")).toEqual(["--aws-region"]);
    expect(run("arv-image gc --arvados")).toEqual([]);
  });
});

describe("completion", () => {
  it("refuses a shell it does not know, as a usage error", async () => {
    const r = await runCli(["completion", "tcsh"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('completion "tcsh": expected a shell, one of bash, zsh, fish');
  });
});
