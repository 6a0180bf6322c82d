/**
 * The packed artifact works: `npm pack`, install the tarball into a temporary prefix
 * (offline, from the npm cache `npm ci` filled), and render with the installed command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, REPO, run } from "./support/cli.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-pack-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm pack", () => {
  it("installs from the tarball and renders", async () => {
    const env = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
    const pack = await run("npm", ["pack", "--pack-destination", tmp], { env });
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = join(tmp, pack.stdout.trim().split("\n").pop() ?? "");
    expect(existsSync(tarball)).toBe(true);

    const prefix = join(tmp, "prefix");
    const install = await run("npm", ["install", "-g", "--offline", "--prefix", prefix, tarball], { env, cwd: tmp });
    expect(install.code, `npm install --offline failed (is the npm cache filled by npm ci?): ${install.stderr}`).toBe(0);

    const out = join(tmp, "build");
    const r = await run(join(prefix, "bin/arv-image"), ["render", "--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--gcp-project-id", "my-project", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6", "--out", out], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(readFileSync(join(out, "gcp.pkr.hcl"), "utf8")).toContain('source "googlecompute" "compute"');
    expect(existsSync(join(out, "scripts/10-base.sh"))).toBe(true);
    expect(existsSync(join(REPO, "package.json"))).toBe(true);

    // The installed package renders from its precompiled templates with the bundled
    // runtime: Handlebars' compiler is never loaded (NODE_DEBUG=module lists what Node's
    // CommonJS loader loads).
    const args = ["render", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6", "--out"];
    const traced = await run(join(prefix, "bin/arv-image"), [...args, join(tmp, "traced")], { cwd: tmp, env: { ...process.env, NODE_DEBUG: "module" } });
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stderr).not.toMatch(/compiler\/compiler/);

    // An edited template is rendered as it is on disk, not from the stale precompiled copy.
    const installed = join(prefix, "lib/node_modules/arv-image/templates/scripts/99-hygiene.sh.hbs");
    writeFileSync(installed, readFileSync(installed, "utf8") + "# edited-after-install {{sh v.cloud}}\n");
    const edited = await run(join(prefix, "bin/arv-image"), [...args, join(tmp, "edited")], { cwd: tmp, env: { ...process.env, NODE_DEBUG: "module" } });
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stderr).toMatch(/compiler\/compiler/);
    expect(readFileSync(join(tmp, "edited/scripts/99-hygiene.sh"), "utf8")).toContain("# edited-after-install 'aws'");
  });
});
