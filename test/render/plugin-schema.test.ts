/**
 * Current Packer renders held against the plugins' own HCL2 schemas (issue 16), because
 * only Debian's Packer 1.6.6 runs here: every golden case, every value of every flag that
 * takes one of a fixed set, and a property-based sample of flag combinations, rendered for
 * Packer 1.11.2 through the CLI, each `source` block checked against the floor of
 * arv-image's plugin constraint (src/releases/versions.ts) and against the newest release
 * in test/fixtures/plugin-schemas, each `provisioner` block against Packer core at the
 * floor of the rendered required_version, at 1.11.2 and at the newest release
 * (`npm run plugin-schemas` regenerates the data from the releases sources.json lists).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { flagsFor, type Cloud, type FlagDef } from "../../dist/config/flags.js";
import { optionsSchema } from "../../dist/config/schema.js";
import { PACKER_PLUGINS } from "../../dist/releases/versions.js";
import { REPO, runCli } from "../support/cli.js";
import { parseHcl } from "../support/tools.js";
import {
  BUILDER_PLUGIN,
  checkRender,
  compareVersions,
  constraintFloor,
  loadSchema,
  outline,
  SCHEMA_DIR,
  schemaVersions,
  type PluginSchema,
  type Violation,
} from "../support/plugin-schema.js";

const CURRENT_PACKER = "1.11.2";
const CASES = JSON.parse(readFileSync(join(REPO, "test/golden/cases.json"), "utf8")) as Record<string, string[]>;

/**
 * Defects issue 16 names, which the schema check finds in renders today. Each entry lets
 * exactly the violations it describes through; delete it with the fix (a test fails when
 * an entry no longer matches anything, so a stale one cannot linger). Nothing else is
 * allowed through.
 */
const KNOWN_DEFECTS: readonly {
  item: number;
  plugin: string;
  /** The first plugin release the violation applies to (default: all). */
  since?: string;
  kind: Violation["kind"];
  path: string;
  value?: unknown;
  why: string;
}[] = [];

const matchesKnown = (v: Violation) =>
  KNOWN_DEFECTS.findIndex(
    (d) =>
      d.plugin === v.plugin &&
      d.kind === v.kind &&
      d.path === v.path &&
      (d.since === undefined || compareVersions(v.version, d.since) >= 0) &&
      (!("value" in d) || d.value === v.value),
  );
const knownSeen = new Set<number>();
/** Golden and sweep renders checked so far: the stale-entry test needs all of them. */
let coverageRuns = 0;

// ---------------------------------------------------------------------------------------
// which schema versions

const CLOUD_OF_PLUGIN = Object.fromEntries(Object.entries(PACKER_PLUGINS).map(([cloud, p]) => [p.name, cloud])) as Record<string, keyof typeof PACKER_PLUGINS>;
const SOURCES = JSON.parse(readFileSync(join(SCHEMA_DIR, "sources.json"), "utf8")) as { plugins: Record<string, { tags: string[] }> };

/** Floor of arv-image's constraint and the newest release in sources.json, per plugin. */
const VERSIONS: Record<string, { floor: string; newest: string }> = Object.fromEntries(
  Object.values(PACKER_PLUGINS).map((p) => {
    const tags = (SOURCES.plugins[p.name]?.tags ?? []).map((t) => t.replace(/^v/, "")).sort(compareVersions);
    return [p.name, { floor: constraintFloor(p.version), newest: tags.at(-1) ?? "(none listed)" }];
  }),
);
/** Packer core: the newest release sources.json lists (its shell and file provisioners). */
const CORE_NEWEST =
  (SOURCES.plugins.packer?.tags ?? [])
    .map((t) => t.replace(/^v/, ""))
    .sort(compareVersions)
    .at(-1) ?? "(none listed)";

const schemas = new Map<string, PluginSchema>();
function cached(plugin: string, version: string): PluginSchema {
  const key = `${plugin}-${version}`;
  let s = schemas.get(key);
  if (!s) schemas.set(key, (s = loadSchema(plugin, version)));
  return s;
}
function schemasFor(plugin: string): PluginSchema[] {
  const v = VERSIONS[plugin];
  if (!v) throw new Error(`no plugin ${plugin} in PACKER_PLUGINS`);
  return [...new Set([v.floor, v.newest])].map((ver) => cached(plugin, ver));
}

// ---------------------------------------------------------------------------------------
// rendering

// Made when the file is collected: the flag sample below names the account file.
const tmp = mkdtempSync(join(tmpdir(), "arv-image-schema-"));
// --gcp-account-file must name a readable file; render reads no more than that.
const saFile = join(tmp, "sa.json");
writeFileSync(saFile, JSON.stringify({ type: "service_account", project_id: "arvados-images", client_email: "packer@arvados-images.iam.gserviceaccount.com" }));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let serial = 0;
async function render(args: readonly string[]): Promise<{ dir: string; code: number | null; stderr: string }> {
  const dir = join(tmp, `r${serial++}`);
  const r = await runCli(["render", ...args, "--packer-version", CURRENT_PACKER, "--out", dir]);
  return { dir, code: r.code, stderr: r.stderr };
}

/** All violations of one rendered directory, against both schema versions of each plugin it uses. */
async function check(dir: string, label: string): Promise<Violation[]> {
  const plugins = new Set<string>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".pkr.hcl"))) {
    for (const item of outline(readFileSync(join(dir, f), "utf8"))) {
      if (item.kind !== "block" || item.name !== "source") continue;
      const type = item.labels[0] ?? "";
      const plugin = BUILDER_PLUGIN[type];
      if (!plugin) throw new Error(`${f}: source type "${type}" has no schema data; add it to BUILDER_PLUGIN and scripts/plugin-schemas.mjs`);
      plugins.add(plugin);
    }
  }
  if (plugins.size === 0) throw new Error(`${dir}: no source block rendered`);
  const out: Violation[] = [];
  for (const p of plugins) for (const s of schemasFor(p)) out.push(...(await checkRender(dir, s, label)));
  for (const v of await coreVersions(dir)) out.push(...(await checkRender(dir, cached("packer", v), label)));
  return out;
}

/**
 * Packer core releases to hold the provisioners against: the floor of the rendered
 * required_version, the Packer rendered for, and the newest release in sources.json.
 */
async function coreVersions(dir: string): Promise<string[]> {
  const v = await parseHcl("versions.pkr.hcl", readFileSync(join(dir, "versions.pkr.hcl"), "utf8"));
  const required = ((v.packer ?? []) as { required_version?: string }[])[0]?.required_version;
  if (!required) throw new Error(`${dir}/versions.pkr.hcl has no required_version`);
  return [...new Set([constraintFloor(required), CURRENT_PACKER, CORE_NEWEST])];
}

/** The violations no KNOWN_DEFECTS entry explains; records which entries matched. */
function unexplained(vs: Violation[]): string[] {
  const rest: string[] = [];
  for (const v of vs) {
    const k = matchesKnown(v);
    if (k >= 0) knownSeen.add(k);
    else rest.push(v.message);
  }
  return rest;
}

const flagArgs = (args: readonly string[]) => args.map((a) => (/^[\w./=:,-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");

// ---------------------------------------------------------------------------------------

describe("plugin schema data", () => {
  it.each(Object.entries(VERSIONS))("covers the %s plugin at the constraint's floor and at the newest release", (plugin, v) => {
    for (const ver of [v.floor, v.newest]) {
      const s = loadSchema(plugin, ver);
      expect(s.version).toBe(ver);
      expect(s.tag).toBe(`v${ver}`);
      expect(s.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(s.repository).toBe(`github.com/hashicorp/packer-plugin-${plugin}`);
    }
    expect(schemaVersions(plugin)).toEqual(expect.arrayContaining([v.floor, v.newest]));
    expect(PACKER_PLUGINS[CLOUD_OF_PLUGIN[plugin]!].source).toBe(`github.com/hashicorp/${plugin}`);
  });

  it("covers Packer core's provisioners for the Packer the goldens render for and the newest release", () => {
    for (const ver of [CURRENT_PACKER, CORE_NEWEST]) {
      const s = loadSchema("packer", ver);
      expect(s.repository).toBe("github.com/hashicorp/packer");
      expect(Object.keys(s.provisioners ?? {}).sort()).toEqual(["file", "shell"]);
      expect(s.provisionerMeta?.attributes.pause_before).toEqual({ type: "string" });
    }
  });

  it("has one data file for each tag sources.json lists, and no other", () => {
    const listed = Object.entries(SOURCES.plugins).flatMap(([p, { tags }]) => tags.map((t) => `${p}-${t.replace(/^v/, "")}.json`));
    const files = readdirSync(SCHEMA_DIR).filter((f) => f !== "sources.json");
    expect(files.sort()).toEqual(listed.sort());
    for (const f of files) {
      const s = JSON.parse(readFileSync(join(SCHEMA_DIR, f), "utf8")) as PluginSchema;
      expect(`${s.plugin}-${s.version}.json`).toBe(f);
      expect(SOURCES.plugins[s.plugin]?.tags).toContain(s.tag);
    }
  });

  it("reads the floor of a required_plugins version constraint", () => {
    expect(constraintFloor("~> 2.1")).toBe("2.1.0");
    expect(constraintFloor("~> 1.1.4")).toBe("1.1.4");
    expect(constraintFloor(">= 1.1.4, < 2.0.0")).toBe("1.1.4");
    expect(constraintFloor("> 1.2.3")).toBe("1.2.4");
    expect(constraintFloor("1.3.0")).toBe("1.3.0");
    expect(() => constraintFloor("< 2.0.0")).toThrow(/no lower bound/);
  });

  it("tells blocks from attributes as the plugins' hcl2spec files do", () => {
    const ebs = loadSchema("amazon", VERSIONS.amazon!.newest).builders!["amazon-ebs"]!;
    expect(ebs.blocks.launch_block_device_mappings).toMatchObject({ nesting: "list", attributes: { volume_size: { type: "number" } } });
    expect(ebs.blocks.metadata_options).toMatchObject({ nesting: "single", attributes: { http_tokens: { type: "string" } } });
    expect(ebs.attributes.tags).toEqual({ type: "map(string)" });
    expect(ebs.attributes.ami_regions).toEqual({ type: "list(string)" });
    expect(ebs.enums.http_tokens?.values).toEqual(["optional", "required"]);
    const arm = loadSchema("azure", VERSIONS.azure!.floor).builders!["azure-arm"]!;
    expect(arm.blocks.shared_image_gallery_destination?.nesting).toBe("single");
    expect(arm.enums.cloud_environment_name).toMatchObject({ caseInsensitive: true, values: expect.arrayContaining(["PUBLIC", "USGOVERNMENT", "CHINA"]) });
  });
});

describe("the check itself", () => {
  const amazon = () => schemasFor("amazon").at(-1)!;
  async function violations(body: string, vars = "") {
    const dir = mkdtempSync(join(tmp, "unit-"));
    writeFileSync(join(dir, "aws.pkr.hcl"), `# generated by arv-image from templates/packer/aws.pkr.hcl.hbs; do not edit\nsource "amazon-ebs" "compute" {\n${body}\n}\n`);
    writeFileSync(join(dir, "variables.pkr.hcl"), 'variable "tokens" {\n  type = string\n}\n');
    writeFileSync(join(dir, "arv-image.auto.pkrvars.hcl"), vars);
    return (await checkRender(dir, amazon(), "a unit case")).map((v) => `${v.kind} ${v.path}`);
  }

  it("passes a body the schema allows", async () => {
    const body =
      'ami_name = "x"\n  tags = { a = "b" }\n  launch_block_device_mappings {\n    volume_size = 20\n  }\n  launch_block_device_mappings {\n    device_name = "/dev/xvdb"\n  }';
    expect(await violations(body)).toEqual([]);
  });

  it("names unknown attributes and blocks, at any depth", async () => {
    expect(await violations('ami_nmae = "x"\n  metadata_options {\n    http_tokenz = "required"\n  }\n  no_such_block {\n  }')).toEqual([
      "unknown ami_nmae",
      "unknown metadata_options.http_tokenz",
      "unknown no_such_block",
    ]);
  });

  it("tells a block written as an attribute and an attribute written as a block", async () => {
    expect(await violations('launch_block_device_mappings = [{ volume_size = 20 }]\n  tags {\n    a = "b"\n  }')).toEqual([
      "block-as-attribute launch_block_device_mappings",
      "attribute-as-block tags",
    ]);
  });

  it("rejects values outside a stated set, through a variable too, and values of the wrong type", async () => {
    expect(
      await violations(
        'shutdown_behavior = "halt"\n  metadata_options {\n    http_tokens = var.tokens\n  }\n  volume_size_x = 1\n  ami_regions = "us-east-1"',
        'tokens = "mandatory"\n',
      ),
    ).toEqual(["enum shutdown_behavior", "enum metadata_options.http_tokens", "unknown volume_size_x", "type ami_regions"]);
  });

  it("rejects deprecated attributes and a single block given twice", async () => {
    expect(await violations('spot_price_auto_product = "Linux/UNIX"\n  metadata_options {\n  }\n  metadata_options {\n  }')).toEqual([
      "deprecated spot_price_auto_product",
      "repeated-block metadata_options",
    ]);
  });

  it("checks provisioner blocks against Packer core, with the attributes core decodes itself", async () => {
    const dir = mkdtempSync(join(tmp, "unit-"));
    writeFileSync(
      join(dir, "aws.pkr.hcl"),
      'build {\n  provisioner "shell" {\n    pause_before = "30s"\n    inline       = ["true"]\n    inlin        = ["true"]\n  }\n  provisioner "file" {\n    source      = "a"\n    destination = "b"\n  }\n  provisioner "file" {\n    sources     = ["a"]\n    destinaton  = "b"\n  }\n  provisioner "breakpoint" {\n  }\n}\n',
    );
    const vs = await checkRender(dir, cached("packer", CURRENT_PACKER), "a unit case");
    expect(vs.map((v) => `${v.kind} ${v.path} @${v.line}`)).toEqual(["unknown inlin @5", "unknown destinaton @13", "unknown-component breakpoint @15"]);
    expect(vs[1]?.source).toBe('provisioner "file" (#2 of its type in build #1)');
  });

  it("writes messages that name the attribute, the plugin version, the source block and the file", async () => {
    const dir = mkdtempSync(join(tmp, "unit-"));
    writeFileSync(join(dir, "aws.pkr.hcl"), 'source "amazon-ebs" "compute" {\n  ami_nmae = "x"\n}\n');
    const [v] = await checkRender(dir, amazon(), "a unit case");
    expect(v?.message).toContain('unknown attribute "ami_nmae"');
    expect(v?.message).toContain(`amazon ${amazon().version}`);
    expect(v?.message).toContain('source "amazon-ebs" "compute"');
    expect(v?.message).toContain(join(dir, "aws.pkr.hcl"));
  });
});

describe.each(Object.keys(CASES))("golden case %s for Packer 1.11.2", (name) => {
  it("fits the plugin schemas at the constraint's floor and the newest release", async () => {
    const args = CASES[name] ?? [];
    const r = await render(args);
    expect(r.code, r.stderr).toBe(0);
    expect(unexplained(await check(r.dir, `golden case ${name}`))).toEqual([]);
    coverageRuns++;
  });
});

// ---------------------------------------------------------------------------------------
// flags

const BASE: Record<Cloud, readonly string[]> = {
  aws: CASES["aws-minimal"] ?? [],
  azure: CASES["azure-minimal"] ?? [],
  gcp: CASES.gcp ?? [],
};
const renderFlags = flagsFor("render");

/** The values a flag takes from a fixed set, as argument lists; undefined for free-form flags. */
function fixedValues(f: FlagDef): string[][] | undefined {
  if (f.kind === "switch") return [[`--${f.name}`]];
  if (f.kind === "negatable") return [[`--${f.name}`], [`--no-${f.name}`]];
  if (f.kind !== "value") return undefined;
  let s: unknown = (optionsSchema.shape as Record<string, unknown>)[f.key];
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap();
  if (s instanceof z.ZodEnum) return (s.options as string[]).map((v) => [`--${f.name}`, v]);
  if (f.expect === "true or false") return [["true"], ["false"]].map(([v]) => [`--${f.name}`, v!]);
  return undefined;
}

/** Every value of every render flag with a fixed set of values, on each cloud it applies to (--cloud itself is the base cases). */
const SWEEP: { label: string; args: string[] }[] = renderFlags
  .filter((f) => f.name !== "cloud")
  .flatMap((f) => {
    const values = fixedValues(f);
    if (!values) return [];
    const clouds: Cloud[] = f.cloud ? [f.cloud] : ["aws", "azure", "gcp"];
    // The autoscaler's own flags are refused without the autoscaler (a usage error).
    const needs = f.group === "ebs" && f.name !== "aws-ebs-autoscale" ? ["--aws-ebs-autoscale"] : [];
    return clouds.flatMap((c) => values.map((v) => ({ label: `${c}: ${[...needs, ...v].join(" ")}`, args: [...BASE[c], ...needs, ...v] })));
  });

describe("every value of every flag with a fixed set of values", () => {
  it.each(SWEEP)("$label fits the plugin schemas", async ({ label, args }) => {
    const r = await render(args);
    expect(r.code, r.stderr).toBe(0);
    expect(unexplained(await check(r.dir, `flags ${flagArgs(args)} (${label})`))).toEqual([]);
    coverageRuns++;
  });
});

describe("a property-based sample of flag combinations", () => {
  /** Valid values for a flag: its fixed set, or its documented example (files made real). */
  function pool(f: FlagDef): string[][] | undefined {
    const fixed = fixedValues(f);
    if (fixed) return fixed;
    if (f.name === "gcp-account-file") return [[`--${f.name}`, saFile]];
    // The documented example lists --aws-region's example, which the flag refuses to repeat.
    if (f.name === "aws-ami-regions") return [[`--${f.name}`, "eu-west-1,ap-southeast-2"]];
    // Files the render reads, and flags whose values go only to the environment or elsewhere.
    if (/secrets-file|json-file|arvados-config|public-key-file|hosts-file|arvados-cluster-id|^mirror$|^out$|packer-version/.test(f.name)) return undefined;
    if (f.kind === "value" && f.example) return [[`--${f.name}`, f.example]];
    return undefined;
  }
  const picks = (flags: readonly FlagDef[]) =>
    fc
      .record(
        Object.fromEntries(
          flags.flatMap((f) => {
            const p = pool(f);
            return p ? [[f.name, fc.option(fc.constantFrom(...p), { nil: undefined })]] : [];
          }),
        ) as Record<string, fc.Arbitrary<string[] | undefined>>,
      )
      .map((picked) => Object.values(picked).flatMap((a) => a ?? []));
  const forCloud = (c: Cloud) => renderFlags.filter((f) => (f.cloud === undefined || f.cloud === c) && f.name !== "cloud");
  // The autoscaler's flags only with the autoscaler, and provisioned IOPS and throughput
  // only on gp3, the one type that takes both: src/config/resolve.ts refuses the rest.
  const ebsFlags = forCloud("aws").filter((f) => f.group === "ebs" && f.name !== "aws-ebs-autoscale");
  const provisioned = (f: FlagDef) => f.name === "ebs-volume-iops" || f.name === "ebs-volume-throughput";
  const ebs = fc.oneof(
    fc.constant([] as string[]),
    picks(ebsFlags.filter((f) => !provisioned(f))).map((a) => ["--aws-ebs-autoscale", ...a]),
    picks(ebsFlags.filter((f) => f.name !== "ebs-volume-type")).map((a) => ["--aws-ebs-autoscale", "--ebs-volume-type", "gp3", ...a]),
  );
  const perCloud = (c: Cloud) =>
    fc.tuple(picks(forCloud(c).filter((f) => f.group !== "ebs")), c === "aws" ? ebs : fc.constant([] as string[])).map(([a, b]) => ({ cloud: c, args: [...BASE[c], ...a, ...b] }));
  const combination = fc.oneof(perCloud("aws"), perCloud("azure"), perCloud("gcp"));

  it("every rendered combination fits the plugin schemas", async () => {
    let rendered = 0;
    let refused = 0;
    const reasons = new Set<string>();
    await fc.assert(
      fc.asyncProperty(combination, async ({ args }) => {
        const r = await render(args);
        // Cross-flag rules refuse some combinations (exit 2, a usage error): nothing is rendered to check.
        if (r.code === 2) {
          refused++;
          reasons.add(
            r.stderr
              .split("\n")
              .filter(Boolean)
              .slice(1)
              .join(" ")
              .replace(/"[^"]*"/g, '"…"'),
          );
          return;
        }
        expect(r.code, r.stderr).toBe(0);
        rendered++;
        const rest = (await check(r.dir, `flags ${flagArgs(args)}`)).filter((v) => matchesKnown(v) < 0);
        expect(rest.map((v) => v.message)).toEqual([]);
      }),
      { numRuns: 30 },
    );
    expect(rendered, `${refused} of ${rendered + refused} combinations refused: ${[...reasons].join(" | ")}`).toBeGreaterThanOrEqual(15);
  });
});

describe("KNOWN_DEFECTS", () => {
  it("has no entry that the golden cases and the flag sweep no longer trigger", (ctx) => {
    // Only meaningful after every golden case and sweep render passed (not with -t filters).
    if (coverageRuns < Object.keys(CASES).length + SWEEP.length) ctx.skip();
    const stale = KNOWN_DEFECTS.filter((_, i) => !knownSeen.has(i)).map((d) => `issue 16 item ${d.item}: ${d.plugin} ${d.kind} ${d.path}`);
    expect(stale, "fixed? delete these entries").toEqual([]);
  });
});
