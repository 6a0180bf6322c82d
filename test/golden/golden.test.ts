/**
 * Golden build directories: each case rendered for Packer 1.6.6 (Debian's) and for a
 * current Packer, compared byte for byte with test/golden/<case>/packer-<version>/,
 * then checked by the real tools: packer fmt -check, shellcheck, HashiCorp's HCL2
 * parser, and (1.6.6 renders) packer validate with Debian's packer.
 * `npm run test:update` rewrites the golden files; review their diff like code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.js";
import { listFiles, packer, parseHcl, requireTool, shellcheck } from "../support/tools.js";

const CASES = JSON.parse(readFileSync(join(REPO, "test/golden/cases.json"), "utf8")) as Record<string, string[]>;
export const OLD_PACKER = "1.6.6";
export const CURRENT_PACKER = "1.11.2";

let tmp: string;
beforeAll(async () => {
  await requireTool("packer", ["version"]);
  await requireTool("shellcheck");
  tmp = mkdtempSync(join(tmpdir(), "arv-image-golden-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isStatic = (f: string) => f.startsWith("files/") && existsSync(join(REPO, "templates", f));

const renders = new Map<string, Promise<{ dir: string; stderr: string }>>();
/** Render each case once per Packer version, from the repository root like the README does. */
function render(name: string, version: string): Promise<{ dir: string; stderr: string }> {
  const key = `${name}@${version}`;
  let p = renders.get(key);
  if (!p) {
    p = (async () => {
      const dir = join(tmp, key);
      const r = await runCli(["render", ...(CASES[name] ?? []), "--packer-version", version, "--out", dir]);
      if (r.code !== 0) throw new Error(`render ${key} failed (${r.code}): ${r.stderr}`);
      expect(r.stdout.trim()).toBe(dir);
      return { dir, stderr: r.stderr };
    })();
    renders.set(key, p);
  }
  return p;
}

describe.each(Object.keys(CASES))("golden %s", (name) => {
  describe.each([OLD_PACKER, CURRENT_PACKER])("for Packer %s", (version) => {
    const golden = join(REPO, "test/golden", name, `packer-${version}`);

    it("matches the golden files byte for byte", async () => {
      const { dir } = await render(name, version);
      const files = listFiles(dir);
      const rendered = files.filter((f) => !isStatic(f));
      for (const f of rendered) {
        await expect(readFileSync(join(dir, f), "utf8")).toMatchFileSnapshot(join(golden, f));
      }
      // Static files are copied as they are: compare with the template, keep no golden copy.
      for (const f of files.filter(isStatic)) {
        expect(readFileSync(join(dir, f), "utf8")).toBe(readFileSync(join(REPO, "templates", f), "utf8"));
      }
      let goldenFiles: string[] = [];
      try {
        goldenFiles = listFiles(golden);
      } catch {
        /* first run with --update */
      }
      expect(rendered).toEqual(expect.arrayContaining(goldenFiles));
      expect(goldenFiles.length === 0 || rendered.length === goldenFiles.length).toBe(true);
    });

    it("gives the var file mode 0600 and scripts mode 0755", async () => {
      const { dir } = await render(name, version);
      expect(statSync(join(dir, "arv-image.auto.pkrvars.hcl")).mode & 0o777).toBe(0o600);
      for (const f of listFiles(dir).filter((f) => f.startsWith("scripts/"))) {
        expect(statSync(join(dir, f)).mode & 0o777).toBe(0o755);
      }
    });

    it("passes packer fmt -check", async () => {
      const { dir } = await render(name, version);
      const r = await packer(["fmt", "-check", "-diff", "."], dir);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });

    it("passes shellcheck on every script", async () => {
      const { dir } = await render(name, version);
      const scripts = listFiles(dir).filter((f) => f.endsWith(".sh"));
      expect(scripts.length).toBeGreaterThan(5);
      const r = await shellcheck(scripts.map((f) => join(dir, f)));
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });

    it("parses with HashiCorp's HCL2 parser", async () => {
      const { dir } = await render(name, version);
      const hclFiles = listFiles(dir).filter((f) => f.endsWith(".hcl"));
      expect(hclFiles.length).toBeGreaterThanOrEqual(3);
      for (const f of hclFiles) await parseHcl(f, readFileSync(join(dir, f), "utf8"));
    });

    if (version === OLD_PACKER) {
      it("passes packer validate with Debian's Packer 1.6.6, naming what it left out", async () => {
        const { dir, stderr } = await render(name, version);
        const r = await packer(["validate", "."], dir);
        expect(r.stdout + r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(stderr).toMatch(/left out for Packer 1\.6\.6: versions\.pkr\.hcl/);
      });
    } else {
      it("declares its plugin in versions.pkr.hcl", async () => {
        const { dir } = await render(name, version);
        const v = await parseHcl("versions.pkr.hcl", readFileSync(join(dir, "versions.pkr.hcl"), "utf8"));
        expect(JSON.stringify(v)).toMatch(/github\.com\/hashicorp\/(amazon|azure|googlecompute)/);
      });
    }
  });
});

describe("determinism", () => {
  it("the same flags give byte-identical directories", async () => {
    const args = CASES["aws-gpu-ebs-network-dev"] ?? [];
    const a = join(tmp, "det-a");
    const b = join(tmp, "det-b");
    expect((await runCli(["render", ...args, "--packer-version", "1.6.6", "--out", a])).code).toBe(0);
    expect((await runCli(["render", ...args, "--packer-version", "1.6.6", "--out", b])).code).toBe(0);
    const fa = listFiles(a);
    expect(listFiles(b)).toEqual(fa);
    for (const f of fa) expect(readFileSync(join(b, f))).toEqual(readFileSync(join(a, f)));
  });
});
