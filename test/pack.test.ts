/**
 * The packed artifact works: `npm pack`, lay the tarball out as `npm install -g` would
 * (lib/node_modules/arv-image plus the bin link), and render with the installed command.
 *
 * Dependencies: resolving them from the registry is npm's job and needs the network, which
 * tests do not have (and an offline install needs packuments that `npm ci` never caches, so
 * it failed on a fresh machine). The package's node_modules therefore holds links to exactly
 * the production dependency closure `npm ls --omit=dev` names from the repository's own
 * install — no devDependency is reachable, so a runtime import of one fails here.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, REPO, run } from "./support/cli.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-pack-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const npmEnv = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };

/** Top-level production packages of the repository's install (hoisted by npm ci). */
function productionPackages(): string[] {
  const out = execFileSync("npm", ["ls", "--omit=dev", "--parseable", "--all"], { cwd: REPO, env: npmEnv, encoding: "utf8" });
  const top = join(REPO, "node_modules");
  return [
    ...new Set(
      out
        .split("\n")
        .filter((p) => p.startsWith(top + "/"))
        .map((p) => relative(top, p))
        .filter((p) => !p.includes("node_modules")),
    ),
  ];
}

/** Installs the tarball under prefix the way `npm install -g` lays it out. */
function installGlobally(tarball: string, prefix: string): string {
  const pkg = join(prefix, "lib/node_modules/arv-image");
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
  for (const name of productionPackages()) {
    const link = join(pkg, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(REPO, "node_modules", name), link);
  }
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> };
  const bin = join(prefix, "bin/arv-image");
  mkdirSync(dirname(bin), { recursive: true });
  symlinkSync(join(pkg, manifest.bin["arv-image"] ?? "missing-bin-entry"), bin);
  return pkg;
}

describe("npm pack", () => {
  it("packs dist and templates, installs from the tarball and renders", async () => {
    // dist was built by `npm test`; --ignore-scripts skips prepack's rebuild (tested below).
    const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", tmp], { env: npmEnv });
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = join(tmp, pack.stdout.trim().split("\n").pop() ?? "");
    expect(existsSync(tarball)).toBe(true);
    const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(listing).toContain("package/dist/bin.js");
    expect(listing).toContain("package/templates/scripts/10-base.sh.hbs");
    expect(listing.filter((f) => f.startsWith("package/test/") || f.startsWith("package/src/"))).toEqual([]);

    const prefix = join(tmp, "prefix");
    const pkg = installGlobally(tarball, prefix);
    const bin = join(prefix, "bin/arv-image");

    const out = join(tmp, "build");
    const r = await run(
      bin,
      ["render", "--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--gcp-project-id", "my-project", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6", "--out", out],
      { cwd: tmp },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(readFileSync(join(out, "gcp.pkr.hcl"), "utf8")).toContain('source "googlecompute" "compute"');
    expect(readdirSync(join(out, "scripts"))).toContain("10-base.sh");

    // The installed package renders from its precompiled templates with the bundled
    // runtime: Handlebars' compiler is never loaded (NODE_DEBUG=module lists what Node's
    // CommonJS loader loads).
    const args = ["render", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6", "--out"];
    const traced = await run(bin, [...args, join(tmp, "traced")], { cwd: tmp, env: { ...process.env, NODE_DEBUG: "module" } });
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stderr).toMatch(/^MODULE \d+: /m); // the trace is on, so its absence below means something
    expect(traced.stderr).not.toMatch(/compiler\/compiler/);

    // An edited template is rendered as it is on disk, not from the stale precompiled copy.
    const installed = join(pkg, "templates/scripts/99-hygiene.sh.hbs");
    writeFileSync(installed, readFileSync(installed, "utf8") + "# edited-after-install {{sh v.cloud}}\n");
    const edited = await run(bin, [...args, join(tmp, "edited")], { cwd: tmp, env: { ...process.env, NODE_DEBUG: "module" } });
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stderr).toMatch(/compiler\/compiler/);
    expect(readFileSync(join(tmp, "edited/scripts/99-hygiene.sh"), "utf8")).toContain("# edited-after-install 'aws'");
  });

  it("builds dist before packing (prepack): a fresh clone packs a working CLI", async () => {
    // A copy of the tracked files alone (no dist/), with the repository's dependencies.
    const clone = join(tmp, "clone");
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8" })
      .split("\0")
      .filter((f) => f !== "" && existsSync(join(REPO, f)));
    for (const f of tracked) {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(clone, f));
    }
    symlinkSync(join(REPO, "node_modules"), join(clone, "node_modules"));
    expect(existsSync(join(clone, "dist"))).toBe(false);
    const pack = await run("npm", ["pack", "--dry-run", "--json"], { cwd: clone, env: npmEnv });
    expect(pack.code, pack.stderr).toBe(0);
    const [doc] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { files: { path: string }[] }[];
    expect(doc?.files.map((f) => f.path)).toContain("dist/bin.js");
  });
});
