/**
 * Golden build directories: each case of cases.json rendered for Packer 1.6.6 (Debian's) and for a
 * current Packer, compared byte for byte with the golden tree, then checked by the real tools:
 * packer fmt -check, shellcheck, HashiCorp's HCL2 parser, and (1.6.6 renders) packer validate with
 * Debian's packer.
 *
 * Layout (tree.ts): test/golden/<case>/<path> holds what both versions render alike, once;
 * test/golden/<case>/packer-<version>/<path> holds only what differs between them.
 *
 * Update after a change to templates or contexts, with ONE command:
 *
 *     npm run golden:update
 *
 * It builds, renders every case for both versions, rewrites test/golden/<case>/ in that layout
 * (ARV_IMAGE_GOLDEN=update), still runs every tool check on the renders, then prints
 * `git diff --stat -- test/golden` and the golden files git does not know yet. Review the diff like
 * code. (`npm run test:update` does not touch the goldens.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellcheckKey } from "../../scripts/shellcheck-key.mjs";
import { REPO, runCli } from "../support/cli.js";
import { listFiles, packer, parseHcl, requireTool, shellcheck } from "../support/tools.js";
import { CASES, GOLDEN, OLD_PACKER, PACKER_VERSIONS, caseDirs, goldenFiles, splitByVersion, writeCase, type Files } from "./tree.js";

const UPDATE = process.env.ARV_IMAGE_GOLDEN === "update";
const PRELUDE = "scripts/lib/prelude.sh";

let tmp: string;
beforeAll(async () => {
  await requireTool("packer", ["version"]);
  await requireTool("shellcheck");
  tmp = mkdtempSync(join(tmpdir(), "arv-image-golden-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isStatic = (f: string) => f.startsWith("files/") && existsSync(join(REPO, "templates", f));
const sorted = (xs: Iterable<string>) => [...xs].sort();

interface Render {
  dir: string;
  stderr: string;
}
const renders = new Map<string, Promise<Render>>();
/** Render each case once per Packer version, from the repository root like the README does. */
function render(name: string, version: string): Promise<Render> {
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

/**
 * shellcheck, once for each distinct script of all renders, in one invocation. A step script is
 * checked together with the prelude it sources (`-x`, found beside it through `-P SCRIPTDIR`);
 * "distinct" is scripts/shellcheck-key.mjs's key (plain values in the prelude aside: 96
 * checks became 64). Each distinct prelude, values and all, and the static scripts are checked on their own.
 * Findings come back keyed by `<case>@<version>`, each line naming the file relative to the
 * build directory.
 */
let shellchecked: Promise<Map<string, string[]>> | undefined;
function shellcheckAll(): Promise<Map<string, string[]>> {
  shellchecked ??= (async () => {
    const owners = new Map<string, { path: string; rel: string; renders: string[] }>(); // by content key
    for (const name of Object.keys(CASES)) {
      for (const version of PACKER_VERSIONS) {
        const { dir } = await render(name, version);
        const prelude = readFileSync(join(dir, PRELUDE), "utf8");
        for (const rel of listFiles(dir).filter((f) => f.endsWith(".sh"))) {
          const text = readFileSync(join(dir, rel), "utf8");
          const sourcesPrelude = rel.startsWith("scripts/") && rel !== PRELUDE;
          const key = shellcheckKey(rel.split("/").pop() ?? "", text, sourcesPrelude ? prelude : undefined);
          const o = owners.get(key);
          if (o) o.renders.push(`${name}@${version}`);
          else owners.set(key, { path: join(dir, rel), rel, renders: [`${name}@${version}`] });
        }
      }
    }
    const byPath = new Map([...owners.values()].map((o) => [o.path, o]));
    const r = await shellcheck([...byPath.keys()]);
    if (r.stderr !== "" || (r.code !== 0 && r.code !== 1)) throw new Error(`shellcheck failed to run (${r.code}): ${r.stderr}`);
    const findings = new Map<string, string[]>();
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
      const path = [...byPath.keys()].find((p) => line.startsWith(`${p}:`));
      const o = path === undefined ? undefined : byPath.get(path);
      const renderKeys = o ? o.renders : [...renders.keys()]; // a line naming no file: everyone's problem
      const shown = o && path ? `${o.rel}${line.slice(path.length)}` : line;
      for (const k of renderKeys) findings.set(k, [...(findings.get(k) ?? []), shown]);
    }
    expect(r.code === 0).toBe(findings.size === 0);
    return findings;
  })();
  return shellchecked;
}

/** The rendered files of a build directory that have a golden copy (static files are compared with their template). */
function renderedFiles(dir: string): Files {
  const files: Files = new Map();
  for (const f of listFiles(dir)) {
    if (isStatic(f)) expect(readFileSync(join(dir, f), "utf8"), f).toBe(readFileSync(join(REPO, "templates", f), "utf8"));
    else files.set(f, readFileSync(join(dir, f), "utf8"));
  }
  return files;
}

describe("the golden tree", () => {
  it("has a directory for each case of cases.json and no other", () => {
    const stale = caseDirs().filter((d) => !(d in CASES));
    if (UPDATE) for (const d of stale) rmSync(join(GOLDEN, d), { recursive: true, force: true });
    expect(UPDATE ? caseDirs().filter((d) => !(d in CASES)) : stale, "golden directories of cases that cases.json no longer has").toEqual([]);
  });
});

describe.each(Object.keys(CASES))("golden %s", (name) => {
  it(`renders for every Packer version exactly what the golden tree holds${UPDATE ? " (updating it)" : ""}`, async () => {
    const byVersion = new Map<string, Files>();
    for (const version of PACKER_VERSIONS) byVersion.set(version, renderedFiles((await render(name, version)).dir));
    const split = splitByVersion(byVersion);
    if (UPDATE) writeCase(name, split);
    for (const [version, rendered] of byVersion) {
      const expected = goldenFiles(name, version);
      expect(sorted(rendered.keys()), `files rendered for Packer ${version}`).toEqual(sorted(expected.keys()));
      for (const [f, content] of rendered) expect(content, `${name}, Packer ${version}: ${f}`).toBe(expected.get(f));
    }
    // Stored in the split form: each file once, unless the versions render it differently.
    expect(sorted(listFiles(join(GOLDEN, name))), "test/golden layout (npm run golden:update writes it)").toEqual(sorted(split.keys()));
  });

  describe.each([...PACKER_VERSIONS])("for Packer %s", (version) => {
    it("gives the var file mode 0600, scripts mode 0755 and the prelude (sourced, not run) 0644", async () => {
      const { dir } = await render(name, version);
      expect(statSync(join(dir, "arv-image.auto.pkrvars.hcl")).mode & 0o777).toBe(0o600);
      const scripts = listFiles(dir).filter((f) => f.startsWith("scripts/") && f !== PRELUDE);
      expect(scripts.length).toBeGreaterThan(5);
      for (const f of scripts) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o755);
      expect(statSync(join(dir, PRELUDE)).mode & 0o777).toBe(0o644);
    });

    it("passes packer fmt -check", async () => {
      const { dir } = await render(name, version);
      const r = await packer(["fmt", "-check", "-diff", "."], dir);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });

    it("passes shellcheck on every script, the prelude known (each distinct script checked once for all cases)", async () => {
      const { dir } = await render(name, version);
      const scripts = listFiles(dir).filter((f) => f.endsWith(".sh"));
      expect(scripts).toContain(PRELUDE);
      // Every step script sources the prelude from the staging directory, where Packer puts it;
      // except Azure's deprovisioning, which runs after 99-hygiene has removed that directory.
      for (const f of scripts.filter((s) => s.startsWith("scripts/") && s !== PRELUDE && s !== "scripts/99a-deprovision.sh")) {
        expect(readFileSync(join(dir, f), "utf8"), f).toMatch(/^# shellcheck source=lib\/prelude\.sh\nsource "\$ARV_PRELUDE"$/m);
      }
      expect((await shellcheckAll()).get(`${name}@${version}`) ?? []).toEqual([]);
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
    for (const f of fa) expect(readFileSync(join(b, f)), f).toEqual(readFileSync(join(a, f)));
  });
});
