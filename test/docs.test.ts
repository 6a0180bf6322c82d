/** The README and the schema must follow the flag table. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLAGS } from "../dist/config/flags.js";
import { optionsSchema } from "../dist/config/schema.js";
import { REPO } from "./support/cli.js";

describe("flag table", () => {
  it("the README's flag table is the generated one (run `npm run docs`)", async () => {
    const { readmeWithTable } = (await import(join(REPO, "scripts/flag-table.mjs"))) as { readmeWithTable: (s: string) => string };
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    expect(readme).toBe(readmeWithTable(readme));
    for (const f of FLAGS) expect(readme).toContain(`\`--${f.name}\``);
  });

  it("declares each flag once, and the zod schema has exactly the flag table's keys", () => {
    const names = FLAGS.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(optionsSchema.shape).sort()).toEqual(FLAGS.map((f) => f.key).sort());
  });

  it("every flag key is the camelCase of its name (what commander produces)", () => {
    for (const f of FLAGS) expect(f.key).toBe(f.name.replace(/-([a-z])/g, (_m: string, c: string) => c.toUpperCase()));
  });

  it("covers every build.sh flag", () => {
    const buildSh = [
      "json-file",
      "arvados-cluster-id",
      "aws-profile",
      "aws-secrets-file",
      "aws-source-ami",
      "aws-region",
      "aws-vpc-id",
      "aws-subnet-id",
      "aws-ebs-autoscale",
      "aws-associate-public-ip",
      "aws-ena-support",
      "gcp-project-id",
      "gcp-account-file",
      "gcp-zone",
      "azure-secrets-file",
      "azure-resource-group",
      "azure-location",
      "azure-sku",
      "azure-cloud-environment",
      "ssh_user",
      "workdir",
      "resolver",
      "reposuffix",
      "pin-packages",
      "public-key-file",
      "mksquashfs-mem",
      "nvidia-gpu-support",
      "debug",
    ];
    const known = new Set(FLAGS.flatMap((f) => [f.name, ...(f.aliases ?? [])]));
    expect(buildSh.filter((n) => !known.has(n))).toEqual([]);
  });
});

describe("preflight checks", () => {
  it("the README's preflight table names every check, and only those", async () => {
    const { CHECK_NAMES } = (await import(join(REPO, "dist/config/preflight-checks.js"))) as { CHECK_NAMES: string[] };
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([a-z]+\.[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(CHECK_NAMES);
  });
});

describe("mirrors", () => {
  it("the README's mirror table names every source --mirror can redirect, with its default", async () => {
    const { MIRRORS, URLS } = (await import(join(REPO, "dist/releases/versions.js"))) as { MIRRORS: { name: string; key: string }[]; URLS: Record<string, string> };
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    // The table is found by its header row, wherever the README puts it.
    const header = "| name | default | what is fetched from it |";
    expect(readme).toContain(header);
    const start = readme.indexOf(header);
    const table = readme.slice(start, readme.indexOf("\n\n", start));
    const rows = [...table.matchAll(/^\| `([a-z-]+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows.map((r) => r[0])).toEqual(MIRRORS.map((m) => m.name));
    for (const m of MIRRORS) if (URLS[m.key] !== "") expect(rows.find((r) => r[0] === m.name)?.[1]).toBe(URLS[m.key]);
  });
});

describe("the example CI workflow (scripts/docs/examples/bake-on-release.yml)", () => {
  it("is valid YAML, appears in the README as it is, and its bake command is a valid arv-image command line", async () => {
    const { parse } = await import("yaml");
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { runCli, EXAMPLE_KEY } = await import("./support/cli.js");
    const text = readFileSync(join(REPO, "scripts/docs/examples/bake-on-release.yml"), "utf8");
    const wf = parse(text) as { jobs: { bake: { steps: { name?: string; run?: string }[] } } };
    expect(readFileSync(join(REPO, "README.md"), "utf8")).toContain(text.trimEnd());
    const bake = wf.jobs.bake.steps.find((s) => s.name === "Bake")?.run ?? "";
    const argv = bake
      .replace(/>\s*result\.json\s*$/, "")
      .trim()
      .split(/\s+/);
    expect(argv.slice(0, 2)).toEqual(["arv-image", "build"]);
    // Run it for real up to packer validate, in a directory with the files it names.
    const dir = mkdtempSync(join(tmpdir(), "arv-image-example-"));
    try {
      writeFileSync(join(dir, "dispatch.pub"), readFileSync(EXAMPLE_KEY, "utf8"));
      writeFileSync(join(dir, "aws-secrets.sh"), "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=example\n");
      const r = await runCli([...argv.slice(1), "--dry-run", "--skip-preflight"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, dryRun: true, cloud: "aws" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the README is the operator's manual", () => {
  it("stays under 450 lines and leaves contributor material to src/README.md and test/README.md", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThan(450);
    for (const doc of ["src/README.md", "test/README.md"]) {
      expect(readme).toContain(`(${doc})`);
      expect(readFileSync(join(REPO, doc), "utf8")).toMatch(/^# arv-image: /);
    }
  });
});
