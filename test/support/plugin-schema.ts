/**
 * Holds the `source` blocks of a rendered build directory against the builders' HCL2
 * schemas, and its `provisioner` blocks against Packer core's, read from their own source (test/fixtures/plugin-schemas, written by
 * scripts/plugin-schemas.mjs): what `packer validate` with that plugin would say about
 * names, blocks, types and allowed values, without running Packer or the plugin.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./cli.js";
import { parseHcl } from "./tools.js";

// ---------------------------------------------------------------------------------------
// the data

export interface AttrSchema {
  type: string;
  required?: boolean;
}
export interface BodySchema {
  spec: string;
  attributes: Record<string, AttrSchema>;
  blocks: Record<string, BlockSchema>;
}
export type BlockSchema = ({ nesting: "single" | "list"; type: string; external?: undefined } & BodySchema) | { nesting: "single" | "list"; type: string; external: true };
export interface BuilderSchema extends BodySchema {
  package: string;
  deprecated: Record<string, { message: string; source: string }>;
  enums: Record<string, { values: string[]; caseInsensitive?: boolean; source: string; note?: string }>;
}
export interface PluginSchema {
  plugin: string;
  repository: string;
  tag: string;
  version: string;
  commit: string;
  /** Plugins: builders by their `source` type. */
  builders?: Record<string, BuilderSchema>;
  /** Packer core: provisioners by their `provisioner` type, and what core decodes in every one. */
  provisioners?: Record<string, BuilderSchema>;
  provisionerMeta?: BodySchema;
}

export const SCHEMA_DIR = join(REPO, "test/fixtures/plugin-schemas");

export function loadSchema(plugin: string, version: string): PluginSchema {
  const file = join(SCHEMA_DIR, `${plugin}-${version}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PluginSchema;
  } catch {
    throw new Error(
      `no schema data for the ${plugin} plugin ${version} (${file}): add "v${version}" to test/fixtures/plugin-schemas/sources.json and run node scripts/plugin-schemas.mjs --all`,
    );
  }
}

/** The versions data exists for, per plugin, in ascending order. */
export function schemaVersions(plugin: string): string[] {
  return readdirSync(SCHEMA_DIR)
    .map((f) => new RegExp(`^${plugin}-(\\d+\\.\\d+\\.\\d+)\\.json$`).exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(compareVersions);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The lowest release a `required_plugins` version constraint admits: "~> 2.1" → 2.1.0,
 * ">= 1.1.4, < 2.0.0" → 1.1.4. Exact and pessimistic constraints name it; a constraint
 * with no lower bound has none.
 */
export function constraintFloor(constraint: string): string {
  let floor: string | undefined;
  for (const part of constraint.split(",").map((s) => s.trim())) {
    const m = /^(~>|>=|=|>)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(part);
    if (!m) continue;
    const v = [m[2], m[3] ?? "0", m[4] ?? "0"].join(".");
    const [maj, min, pat] = v.split(".").map(Number) as [number, number, number];
    const lo = m[1] === ">" ? `${maj}.${min}.${pat + 1}` : v;
    if (!floor || compareVersions(lo, floor) > 0) floor = lo;
  }
  if (!floor) throw new Error(`version constraint "${constraint}" has no lower bound`);
  return floor;
}

// ---------------------------------------------------------------------------------------
// the outline of an HCL body: which names are attributes and which are blocks, and where

export interface OutlineItem {
  kind: "attribute" | "block";
  name: string;
  labels: string[];
  line: number;
  children: OutlineItem[];
}

/**
 * HCL's JSON form (hcl2json) writes a block and an attribute holding a list of objects
 * alike; this reads the native syntax far enough to tell them apart, and where each one
 * is. It skips expressions by bracket depth, strings, templates, heredocs and comments.
 */
export function outline(text: string): OutlineItem[] {
  const lineAt = (i: number) => text.slice(0, i).split("\n").length;
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`outline: ${what} at line ${lineAt(i)}`);
  };
  const skipString = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i += 2;
      else if (text.startsWith("$${", i) || text.startsWith("%%{", i)) i += 3;
      else if (text.startsWith("${", i) || text.startsWith("%{", i)) {
        i += 2;
        skipExpr(true);
        if (text[i] !== "}") fail("unclosed template");
        i++;
      } else i++;
    }
    i++; // closing quote
  };
  const skipHeredoc = () => {
    const m = /^<<-?(\w+)\n/.exec(text.slice(i, i + 200));
    if (!m) return false;
    const end = new RegExp(`\\n\\s*${m[1]}\\s*(\\n|$)`).exec(text.slice(i));
    if (!end) fail("unterminated heredoc");
    i += end!.index + end![0].length - 1;
    return true;
  };
  const skipComment = () => {
    if (text[i] === "#" || text.startsWith("//", i)) {
      while (i < text.length && text[i] !== "\n") i++;
      return true;
    }
    if (text.startsWith("/*", i)) {
      const e = text.indexOf("*/", i + 2);
      i = e < 0 ? text.length : e + 2;
      return true;
    }
    return false;
  };
  /** Skips an expression: to the newline at depth 0, or (inside a template) to its `}`. */
  function skipExpr(inTemplate: boolean) {
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') skipString();
      else if (text.startsWith("<<", i) && skipHeredoc()) continue;
      else if (skipComment()) continue;
      else if (c === "(" || c === "[" || c === "{") {
        depth++;
        i++;
      } else if (c === ")" || c === "]" || c === "}") {
        if (depth === 0) return; // the enclosing block's or template's end
        depth--;
        i++;
      } else if (c === "\n" && depth === 0 && !inTemplate) return;
      else i++;
    }
  }
  const skipSpace = (newlines: boolean) => {
    for (;;) {
      while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r" || (newlines && text[i] === "\n"))) i++;
      if (!newlines || !skipComment()) return;
    }
  };
  function body(): OutlineItem[] {
    const items: OutlineItem[] = [];
    for (;;) {
      skipSpace(true);
      if (i >= text.length || text[i] === "}") return items;
      const start = i;
      const id = /^[A-Za-z_][\w-]*/.exec(text.slice(i, i + 200));
      if (!id) fail(`expected an attribute or block name, found ${JSON.stringify(text.slice(i, i + 20))}`);
      i += id![0].length;
      skipSpace(false);
      const line = lineAt(start);
      if (text[i] === "=" && text[i + 1] !== "=") {
        i++;
        skipExpr(false);
        items.push({ kind: "attribute", name: id![0], labels: [], line, children: [] });
        continue;
      }
      const labels: string[] = [];
      while (text[i] !== "{") {
        if (text[i] === '"') {
          const s = i;
          skipString();
          labels.push(JSON.parse(text.slice(s, i)) as string);
        } else {
          const l = /^[A-Za-z_][\w-]*/.exec(text.slice(i, i + 200));
          if (!l) fail(`expected a block label or "{" after ${id![0]}`);
          labels.push(l![0]);
          i += l![0].length;
        }
        skipSpace(false);
      }
      i++;
      const children = body();
      if (text[i] !== "}") fail(`unclosed block ${id![0]}`);
      i++;
      items.push({ kind: "block", name: id![0], labels, line, children });
    }
  }
  const items = body();
  if (i < text.length) fail("unbalanced }");
  return items;
}

// ---------------------------------------------------------------------------------------
// the check

export interface Violation {
  /** The plugin release whose schema the render breaks, e.g. "azure 2.1.0". */
  plugin: string;
  version: string;
  /** e.g. `source "amazon-ebs" "compute"`, `provisioner "shell" (#2 of its type in build #1)` */
  source: string;
  /** Dotted path of the attribute or block within the source block. */
  path: string;
  kind: "unknown" | "block-as-attribute" | "attribute-as-block" | "repeated-block" | "deprecated" | "enum" | "type" | "unknown-component";
  /** The value an enum or type check saw, when there is one. */
  value?: unknown;
  file: string;
  line: number;
  message: string;
}

/** The plugin that provides each builder arv-image renders. */
export const BUILDER_PLUGIN: Record<string, string> = { "amazon-ebs": "amazon", "azure-arm": "azure", googlecompute: "googlecompute" };

type Vars = Map<string, unknown>;

/** Values of input variables: the var files' values over the declared defaults. */
async function variables(dir: string): Promise<Vars> {
  const vars: Vars = new Map();
  const files = readdirSync(dir).sort();
  for (const f of files.filter((f) => f.endsWith(".pkr.hcl"))) {
    const j = await parseHcl(f, readFileSync(join(dir, f), "utf8"));
    for (const [name, defs] of Object.entries((j.variable ?? {}) as Record<string, Record<string, unknown>[]>)) {
      const d = defs[0];
      if (d && "default" in d) vars.set(name, d.default);
    }
  }
  for (const f of files.filter((f) => f.endsWith(".auto.pkrvars.hcl") || f.endsWith(".pkrvars.hcl"))) {
    const j = await parseHcl(f, readFileSync(join(dir, f), "utf8"));
    for (const [name, v] of Object.entries(j)) vars.set(name, v);
  }
  return vars;
}

const UNKNOWN = Symbol("unknown");

/** A literal, or `var.x` alone: its value; any other expression is not known here. */
function valueOf(v: unknown, vars: Vars): unknown {
  if (typeof v === "string") {
    const m = /^\$\{var\.(\w+)\}$/.exec(v);
    if (m) return vars.has(m[1]!) ? vars.get(m[1]!) : UNKNOWN;
    return v.includes("${") || v.includes("%{") ? UNKNOWN : v;
  }
  if (Array.isArray(v)) return v.map((x) => valueOf(x, vars));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueOf(x, vars)]));
  return v;
}

/** Whether cty can convert a known value to a type (unknown parts pass). */
function fits(type: string, v: unknown): boolean {
  if (v === UNKNOWN || v === null) return true;
  const coll = /^(list|set|map)\((.*)\)$/.exec(type);
  if (coll) {
    if (coll[1] === "map") return typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => fits(coll[2]!, x));
    return Array.isArray(v) && v.every((x) => fits(coll[2]!, x));
  }
  switch (type) {
    case "any":
      return true;
    case "string":
      return ["string", "number", "boolean"].includes(typeof v);
    case "number":
      return typeof v === "number" || (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)));
    case "bool":
      return typeof v === "boolean" || v === "true" || v === "false";
    default:
      return true;
  }
}

/**
 * Every way the `source` blocks in one rendered directory break one plugin release's
 * schema. `label` says what was rendered (a golden case, a flag set) for the messages.
 */
export async function checkRender(dir: string, schema: PluginSchema, label: string): Promise<Violation[]> {
  const out: Violation[] = [];
  const vars = await variables(dir);
  const pv = `${schema.plugin} ${schema.version}`;
  const origin = `${schema.repository}@${schema.tag}`;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".pkr.hcl"))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const template = /generated by arv-image from (\S+?);/.exec(text.split("\n", 1)[0] ?? "")?.[1];
    const where = `${join(dir, file)}${template ? ` (from ${template})` : ""}, rendered for ${label}`;
    const json = await parseHcl(file, text);
    const items = outline(text);
    const adder =
      (blockName: string): Add =>
      (v, what) =>
        out.push({
          ...v,
          plugin: schema.plugin,
          version: schema.version,
          source: blockName,
          file: join(dir, file),
          message: `${pv}: ${what} in ${blockName} at ${file}:${v.line} — ${where} [schema: ${origin}]`,
        });

    for (const src of items.filter((x) => x.kind === "block" && x.name === "source")) {
      const [type = "", name = ""] = src.labels;
      const sourceName = `source "${type}" "${name}"`;
      const add = adder(sourceName);
      const plugin = BUILDER_PLUGIN[type];
      if (plugin !== schema.plugin) {
        if (!plugin) add({ kind: "unknown-component", path: type, line: src.line }, `builder type "${type}" is not one the schema data covers`);
        continue;
      }
      const builder = schema.builders?.[type];
      if (!builder) {
        add({ kind: "unknown-component", path: type, line: src.line }, `the ${schema.plugin} plugin has no builder "${type}"`);
        continue;
      }
      const defs = (json.source as Record<string, Record<string, Record<string, unknown>[]>>)[type]?.[name] ?? [];
      if (defs.length !== 1) throw new Error(`${file}: ${sourceName} parsed ${defs.length} times`);
      walk(builder, builder, src.children, defs[0]!, "", vars, add);
    }

    // Packer core: the provisioner blocks of each build block.
    if (!schema.provisioners || !schema.provisionerMeta) continue;
    const builds = items.filter((x) => x.kind === "block" && x.name === "build");
    builds.forEach((build, b) => {
      const buildJson = ((json.build ?? []) as Record<string, unknown>[])[b];
      if (!buildJson) throw new Error(`${file}: build block #${b + 1} not parsed`);
      const seen = new Map<string, number>();
      for (const prov of build.children.filter((x) => x.kind === "block" && x.name === "provisioner")) {
        const type = prov.labels[0] ?? "";
        const n = seen.get(type) ?? 0;
        seen.set(type, n + 1);
        const provName = `provisioner "${type}" (#${n + 1} of its type in build #${b + 1})`;
        const add = adder(provName);
        const p = schema.provisioners![type];
        if (!p) {
          add({ kind: "unknown-component", path: type, line: prov.line }, `provisioner type "${type}" is not one the schema data covers`);
          continue;
        }
        const provJson = ((buildJson.provisioner as Record<string, Record<string, unknown>[]> | undefined)?.[type] ?? [])[n];
        if (!provJson) throw new Error(`${file}: ${provName} not parsed`);
        // The attributes Packer core decodes itself in every provisioner block, then the provisioner's own.
        const body: BodySchema = { spec: p.spec, attributes: { ...schema.provisionerMeta!.attributes, ...p.attributes }, blocks: p.blocks };
        walk(p, body, prov.children, provJson, "", vars, add);
      }
    });
  }
  return out;
}

type Add = (v: Omit<Violation, "plugin" | "version" | "source" | "file" | "message">, what: string) => void;

function walk(builder: BuilderSchema, body: BodySchema, items: OutlineItem[], json: Record<string, unknown>, prefix: string, vars: Vars, add: Add): void {
  // The outline and HashiCorp's parser must agree on the names before the outline is trusted.
  const names = [...new Set(items.map((x) => x.name))].sort();
  const keys = Object.keys(json).sort();
  if (JSON.stringify(names) !== JSON.stringify(keys)) throw new Error(`outline ${JSON.stringify(names)} ≠ parsed ${JSON.stringify(keys)} at ${prefix || "source body"}`);
  const seen = new Map<string, number>();
  for (const item of items) {
    const path = prefix + item.name;
    const n = seen.get(item.name) ?? 0;
    seen.set(item.name, n + 1);
    const attr = body.attributes[item.name];
    const block = body.blocks[item.name];
    if (item.kind === "attribute") {
      if (!attr) {
        if (block)
          add(
            { kind: "block-as-attribute", path, line: item.line },
            `"${path}" is a ${block.nesting === "list" ? "repeatable block" : "block"} (${block.type}), written as an attribute (\`${item.name} = …\`)`,
          );
        else add({ kind: "unknown", path, line: item.line }, `unknown attribute "${path}"`);
        continue;
      }
      const raw = json[item.name];
      const value = valueOf(raw, vars);
      checkAttr(builder, attr, item, path, value, add);
      continue;
    }
    if (!block) {
      if (attr) add({ kind: "attribute-as-block", path, line: item.line }, `"${path}" is an attribute of type ${attr.type}, written as a block (\`${item.name} { … }\`)`);
      else add({ kind: "unknown", path, line: item.line }, `unknown block "${path}"`);
      continue;
    }
    if (block.nesting === "single" && n === 1) add({ kind: "repeated-block", path, line: item.line }, `block "${path}" may appear only once`);
    if (block.external) continue; // from packer-plugin-sdk; its body is not in the data
    const occurrences = json[item.name];
    if (!Array.isArray(occurrences) || !occurrences[n] || typeof occurrences[n] !== "object") throw new Error(`parsed ${path} is not block #${n + 1}`);
    walk(builder, block, item.children, occurrences[n] as Record<string, unknown>, `${path}.`, vars, add);
  }
}

function checkAttr(builder: BuilderSchema, attr: AttrSchema, item: OutlineItem, path: string, value: unknown, add: Add): void {
  const dep = builder.deprecated[item.name];
  if (dep) add({ kind: "deprecated", path, line: item.line, value: value === UNKNOWN ? undefined : value }, `deprecated attribute "${path}" (${dep.source}: ${dep.message})`);
  if (!fits(attr.type, value)) add({ kind: "type", path, line: item.line, value }, `attribute "${path}" is ${attr.type}; the render gives ${JSON.stringify(value)}`);
  const e = builder.enums[item.name];
  if (e && typeof value === "string") {
    const ok = e.caseInsensitive ? e.values.some((x) => x.toUpperCase() === value.toUpperCase()) : e.values.includes(value);
    if (!ok)
      add(
        { kind: "enum", path, line: item.line, value },
        `attribute "${path}" = ${JSON.stringify(value)} is not one of ${e.values.join(", ")}${e.caseInsensitive ? " (any case)" : ""} (${e.source})`,
      );
  }
}
