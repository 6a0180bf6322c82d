/**
 * Escaping: arbitrary text through the two escapers, checked by the real consumers
 * (Packer's HCL2 evaluator, HashiCorp's HCL2 parser, bash), at the escaper level,
 * through every template, and through the CLI's free-text flags.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import Handlebars from "handlebars";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hcl, sh } from "../../dist/render/escape.js";
import { EXAMPLE_KEY, REPO, run, runCli } from "../support/cli.js";
import { acceptedFileName, acceptedText, freeText } from "../support/arbitrary.js";
import { packerEval, parseHcl, requireTool } from "../support/tools.js";

let tmp: string;
beforeAll(async () => {
  await requireTool("packer", ["version"]);
  tmp = mkdtempSync(join(tmpdir(), "arv-image-escape-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Evaluate many strings through Packer at once: one variable each, one jsonencode. */
async function hclRoundTrip(values: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmp, "hcl-"));
  const text = values.map((v, i) => `variable "v${i}" {\n  type    = string\n  default = ${hcl(v)}\n}\n`).join("\n");
  writeFileSync(join(dir, "v.pkr.hcl"), text);
  await parseHcl("v.pkr.hcl", text); // HashiCorp's parser accepts it as well
  return packerEval<string[]>(dir, `[${values.map((_, i) => `var.v${i}`).join(", ")}]`);
}

async function shRoundTrip(values: string[]): Promise<string[]> {
  const script = `printf '%s\\0' ${values.map((v) => sh(v)).join(" ")}\n`;
  const r = await run("bash", ["-c", script]);
  expect(r.code).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

describe("escapers", () => {
  it("hcl(): Packer reads back exactly the text that went in", async () => {
    const samples = fc.sample(freeText, { numRuns: 300, seed: 42 });
    expect(await hclRoundTrip(samples)).toEqual(samples);
    const more = fc.sample(freeText, 200); // and a fresh draw each run
    expect(await hclRoundTrip(more)).toEqual(more);
  });

  it("sh(): bash assigns exactly the text that went in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(freeText, { minLength: 1, maxLength: 20 }), async (values) => {
        expect(await shRoundTrip(values)).toEqual(values);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses what cannot round-trip instead of changing it", () => {
    expect(() => hcl("a\0b")).toThrow(/NUL/);
    expect(() => hcl("e\u0301")).toThrow(/NFC/);
    expect(() => sh("\ud800")).toThrow(/surrogate/);
  });
});

describe("templates", () => {
  const ALLOWED_BLOCKS = new Set(["if", "unless", "each"]);
  const templates: string[] = [];
  for (const sub of ["packer", "scripts", "partials"]) {
    for (const f of readdirSync(join(REPO, "templates", sub), { recursive: true, encoding: "utf8" })) {
      if (f.endsWith(".hbs")) templates.push(`${sub}/${f}`);
    }
  }

  it.each(templates)("%s prints values only through {{hcl}} or {{sh}}", (name) => {
    const ast = Handlebars.parse(readFileSync(join(REPO, "templates", name), "utf8"));
    const bad: string[] = [];
    const walk = (node: hbs.AST.Node | null | undefined): void => {
      if (!node) return;
      switch (node.type) {
        case "Program":
          (node as hbs.AST.Program).body.forEach(walk);
          break;
        case "MustacheStatement": {
          const m = node as hbs.AST.MustacheStatement;
          const helper = (m.path as hbs.AST.PathExpression).original;
          if (!m.escaped) bad.push(`triple-stash {{{${helper}}}} at line ${m.loc.start.line}`);
          if (!["hcl", "sh"].includes(helper) || m.params.length !== 1) bad.push(`{{${helper}}} at line ${m.loc.start.line}`);
          break;
        }
        case "BlockStatement": {
          const b = node as hbs.AST.BlockStatement;
          const helper = b.path.original;
          if (!ALLOWED_BLOCKS.has(helper)) bad.push(`{{#${helper}}} at line ${b.loc.start.line}`);
          walk(b.program);
          walk(b.inverse);
          break;
        }
        case "PartialStatement":
        case "ContentStatement":
        case "CommentStatement":
          break;
        default:
          bad.push(`${node.type} at line ${node.loc.start.line}`);
      }
    };
    walk(ast);
    expect(bad).toEqual([]);
  });
});

describe("free-text flags through the CLI", () => {
  const base = ["render", "--packer-version", "1.6.6", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY];

  it("--aws-profile: any text comes back exactly from the rendered var file", async () => {
    await fc.assert(
      fc.asyncProperty(acceptedText, async (profile) => {
        const out = join(mkdtempSync(join(tmp, "cli-")), "b");
        const r = await runCli([...base, "--cloud", "aws", "--aws-profile", profile, "--out", out]);
        expect(r.stderr).toBe(r.code === 0 ? r.stderr : "");
        expect(r.code).toBe(0);
        expect(await packerEval<string>(out, "var.aws_profile")).toBe(profile);
      }),
      { numRuns: 12 },
    );
  });

  it("--gcp-account-file: a path with any characters comes back exactly", async () => {
    await fc.assert(
      fc.asyncProperty(acceptedFileName, async (name) => {
        const d = mkdtempSync(join(tmp, "sa-"));
        const path = join(d, name);
        writeFileSync(path, '{"type":"service_account"}\n');
        // Apart from the file: a generated name may be the output directory's ("b" was).
        const out = join(mkdtempSync(join(tmp, "cli-")), "b");
        const r = await runCli([...base, "--cloud", "gcp", "--gcp-project-id", "my-project", "--gcp-account-file", path, "--out", out]);
        expect(r.code, r.stderr).toBe(0);
        expect(await packerEval<string>(out, "var.account_file")).toBe(path);
      }),
      { numRuns: 12 },
    );
  });

  it("--azure-resource-group: Unicode letters, digits and punctuation it allows come back exactly", async () => {
    const rg = fc
      .array(fc.oneof(fc.constantFrom("(", ")", "_", "-", ".", "é", "Ж", "名", "٣"), fc.string({ unit: fc.constantFrom(..."abcXYZ019"), minLength: 1, maxLength: 3 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((p) => p.join("").normalize("NFC"))
      .filter((s) => !s.endsWith(".") && s.length <= 90);
    await fc.assert(
      fc.asyncProperty(rg, async (group) => {
        const out = join(mkdtempSync(join(tmp, "az-")), "b");
        const r = await runCli([...base, "--cloud", "azure", "--azure-sku", "12-gen2", "--azure-resource-group", group, "--out", out]);
        expect(r.code).toBe(0);
        expect(await packerEval<string>(out, "var.resource_group")).toBe(group);
      }),
      { numRuns: 8 },
    );
  });
});
