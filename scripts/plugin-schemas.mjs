#!/usr/bin/env node
/**
 * Writes the HCL2 schema of the Packer builders arv-image renders as committed data,
 * read from a plugin's own source at a release tag: test/render/plugin-schema.test.ts
 * holds every render against it (issue 16). No Go toolchain: the `*.hcl2spec.go` files
 * that packer-sdc generates are regular enough to read line by line, and the rest
 * (deprecations, allowed values) comes from a few narrow patterns in the Go source,
 * each recorded with the file and line it was read from.
 *
 *   node scripts/plugin-schemas.mjs --git-dir <plugin git dir> --tag vX.Y.Z [--plugin amazon] [--out DIR]
 *   node scripts/plugin-schemas.mjs --all [--mirror-root /work/.mirror]
 *
 * --all (`npm run plugin-schemas`) regenerates every file test/fixtures/plugin-schemas/sources.json
 * lists, from <mirror-root>/hashicorp+<repository>/repo (a bare clone: `git clone --bare
 * https://github.com/hashicorp/packer-plugin-amazon` gives one) or --git-dir-<plugin> DIR;
 * "packer" is Packer core (github.com/hashicorp/packer), for its shell and file provisioners.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(REPO, "test/fixtures/plugin-schemas");

/**
 * What arv-image's templates use, by repository: builders by their type name in a `source`
 * block, provisioners by theirs in a `provisioner` block, each with the Go package of its
 * Config (whose FlatConfig.HCL2Spec is the body).
 */
export const COMPONENTS = {
  amazon: { repository: "github.com/hashicorp/packer-plugin-amazon", builders: { "amazon-ebs": "builder/ebs" } },
  azure: { repository: "github.com/hashicorp/packer-plugin-azure", builders: { "azure-arm": "builder/azure/arm" } },
  googlecompute: { repository: "github.com/hashicorp/packer-plugin-googlecompute", builders: { googlecompute: "builder/googlecompute" } },
  // Packer core: the provisioners the templates use (templates/partials/provisioners.hbs).
  packer: { repository: "github.com/hashicorp/packer", provisioners: { shell: "provisioner/shell", file: "provisioner/file" } },
};

// ---------------------------------------------------------------------------------------
// git

function git(gitDir, ...args) {
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

class Tree {
  constructor(gitDir, tag) {
    this.gitDir = gitDir;
    this.tag = tag;
    this.commit = git(gitDir, "rev-parse", `${tag}^{commit}`).trim();
    this.files = git(gitDir, "ls-tree", "-r", "--name-only", this.commit).split("\n").filter(Boolean);
    this.cache = new Map();
  }
  read(path) {
    let t = this.cache.get(path);
    if (t === undefined) {
      t = git(this.gitDir, "show", `${this.commit}:${path}`);
      this.cache.set(path, t);
    }
    return t;
  }
  /** Non-test Go files directly in a package directory. */
  goFiles(dir) {
    return this.files.filter((f) => posix.dirname(f) === dir && f.endsWith(".go") && !f.endsWith("_test.go"));
  }
}

// ---------------------------------------------------------------------------------------
// Go source, the little that is needed

/** import alias → import path, for one Go file. */
function imports(src) {
  const out = new Map();
  const add = (alias, path) =>
    out.set(
      alias ??
        path
          .split("/")
          .pop()
          .replace(/^go-/, "")
          .replace(/[.-].*$/, ""),
      path,
    );
  for (const m of src.matchAll(/^import\s+(?:(\w+)\s+)?"([^"]+)"/gm)) add(m[1], m[2]);
  for (const block of src.matchAll(/^import\s*\(([\s\S]*?)^\)/gm)) {
    for (const m of block[1].matchAll(/^\s*(?:(\w+|_|\.)\s+)?"([^"]+)"/gm)) add(m[1], m[2]);
  }
  return out;
}

/** "cty.List(cty.String)" → "list(string)", the way HCL and Packer's docs spell types. */
function ctyType(expr) {
  const s = expr.trim();
  const prim = { "cty.String": "string", "cty.Number": "number", "cty.Bool": "bool", "cty.DynamicPseudoType": "any" };
  if (prim[s]) return prim[s];
  const m = /^cty\.(List|Map|Set)\((.*)\)$/.exec(s);
  if (m) return `${m[1].toLowerCase()}(${ctyType(m[2])})`;
  throw new Error(`unknown cty type expression: ${s}`);
}

/**
 * Every `func (*FlatX) HCL2Spec() map[string]hcldec.Spec` in one hcl2spec.go file:
 * FlatX → { entries: [{ key, kind, … }], line }.
 */
function specFuncs(src, file) {
  const out = new Map();
  const lines = src.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = /^func \(\*(\w+)\) HCL2Spec\(\) map\[string\]hcldec\.Spec \{$/.exec(lines[i]);
    if (!head) continue;
    const entries = [];
    for (i++; i < lines.length && lines[i] !== "}"; i++) {
      const l = lines[i].trim();
      if (l === "s := map[string]hcldec.Spec{" || l === "}" || l === "return s" || l === "") continue;
      const attr = /^"([\w-]+)":\s*&hcldec\.AttrSpec\{Name: "([\w-]+)", Type: (.*), Required: (true|false)\},$/.exec(l);
      const block = /^"([\w-]+)":\s*&hcldec\.(BlockSpec|BlockListSpec)\{TypeName: "([\w-]+)", Nested: hcldec\.ObjectSpec\(\(\*(?:(\w+)\.)?(\w+)\)\(nil\)\.HCL2Spec\(\)\)\},$/.exec(
        l,
      );
      if (attr) {
        if (attr[1] !== attr[2]) throw new Error(`${file}:${i + 1}: key ${attr[1]} names attribute ${attr[2]}`);
        entries.push({ key: attr[1], kind: "attribute", type: ctyType(attr[3]), required: attr[4] === "true" });
      } else if (block) {
        if (block[1] !== block[3]) throw new Error(`${file}:${i + 1}: key ${block[1]} names block ${block[3]}`);
        entries.push({ key: block[1], kind: block[2] === "BlockSpec" ? "block" : "block-list", pkg: block[4] ?? null, flat: block[5] });
      } else {
        // A spec kind this reader does not know: stop rather than write a schema with a hole.
        throw new Error(`${file}:${i + 1}: unrecognised HCL2 spec line: ${l}`);
      }
    }
    out.set(head[1], { entries, file, line: lines.findIndex((x) => x === `func (*${head[1]}) HCL2Spec() map[string]hcldec.Spec {`) + 1 });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// the body of a builder

function moduleOf(tree) {
  const m = /^module\s+(\S+)/m.exec(tree.read("go.mod"));
  if (!m) throw new Error("go.mod has no module line");
  return m[1];
}

function bodyReader(tree) {
  const module = moduleOf(tree);
  const perDir = new Map();
  /** FlatX → spec, for every hcl2spec.go file in a package directory. */
  const specsIn = (dir) => {
    let m = perDir.get(dir);
    if (!m) {
      m = new Map();
      for (const f of tree.files.filter((f) => posix.dirname(f) === dir && f.endsWith(".hcl2spec.go"))) {
        const src = tree.read(f);
        const imp = imports(src);
        for (const [flat, spec] of specFuncs(src, f)) m.set(flat, { ...spec, imports: imp, dir });
      }
      perDir.set(dir, m);
    }
    return m;
  };
  const packages = new Set();
  const body = (dir, flat, path) => {
    const spec = specsIn(dir).get(flat);
    if (!spec) throw new Error(`no HCL2Spec for ${flat} in ${dir}`);
    packages.add(dir);
    const attributes = {};
    const blocks = {};
    for (const e of spec.entries) {
      if (e.kind === "attribute") {
        attributes[e.key] = { type: e.type, ...(e.required ? { required: true } : {}) };
        continue;
      }
      const nesting = e.kind === "block" ? "single" : "list";
      let nestedDir = dir;
      if (e.pkg) {
        const importPath = spec.imports.get(e.pkg);
        if (!importPath) throw new Error(`${spec.file}: no import for ${e.pkg}`);
        if (importPath !== module && !importPath.startsWith(`${module}/`)) {
          // From another module (packer-plugin-sdk): named, not expanded.
          blocks[e.key] = { nesting, type: `${importPath}.${e.flat}`, external: true };
          continue;
        }
        nestedDir = importPath.slice(module.length + 1);
      }
      if (path.length > 8) throw new Error(`nesting too deep at ${[...path, e.key].join(".")}`);
      blocks[e.key] = { nesting, type: `${nestedDir}.${e.flat}`, ...body(nestedDir, e.flat, [...path, e.key]) };
    }
    return { spec: `${spec.file}:${spec.line}`, attributes, blocks };
  };
  return { body, packages, module };
}

/** Every attribute name in a body and its nested blocks, with its dotted path. */
function attributePaths(body, prefix = "") {
  const out = [];
  for (const name of Object.keys(body.attributes)) out.push([name, prefix + name]);
  for (const [name, b] of Object.entries(body.blocks)) if (b.attributes) out.push(...attributePaths(b, `${prefix}${name}.`));
  return out;
}

// ---------------------------------------------------------------------------------------
// deprecations and allowed values, from the Go source around the builder

/** In-module packages the builder's package imports, transitively (its Go source, not tests). */
function sourcePackages(tree, module, start) {
  const seen = new Set();
  const todo = [start];
  while (todo.length) {
    const dir = todo.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const f of tree.goFiles(dir)) {
      for (const p of imports(tree.read(f)).values()) {
        if (p.startsWith(`${module}/`)) {
          const d = p.slice(module.length + 1);
          if (tree.files.some((x) => posix.dirname(x) === d)) todo.push(d);
        }
      }
    }
  }
  return [...seen].sort();
}

/** Go string literals of one line, joined when a message is split with `+`. */
function stringsOf(line) {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`/g)].map((m) => m[1] ?? m[2]);
}

/**
 * Reads deprecations and allowed values. Each pattern is narrow on purpose: a fact is
 * recorded only where the source states it in one of these shapes.
 */
function sourceFacts(tree, dirs, names) {
  const deprecated = {};
  const enums = {};
  const fieldTags = new Map(); // Go field name → mapstructure name
  const files = dirs.flatMap((d) => tree.goFiles(d)).filter((f) => !f.endsWith(".hcl2spec.go") && !/mock/i.test(f));
  for (const f of files) {
    for (const m of tree.read(f).matchAll(/^\s*(\w+)\s+[^\n`]*`[^`\n]*mapstructure:"([\w-]+)[",]/gm)) fieldTags.set(m[1], m[2]);
  }
  const at = (f, i) => `${f}:${i + 1}`;
  const addEnum = (name, values, source, extra = {}) => {
    if (!names.has(name)) return;
    const prev = enums[name];
    if (prev && JSON.stringify(prev.values) !== JSON.stringify(values)) {
      prev.values = [...new Set([...prev.values, ...values])];
      prev.source += `, ${source}`;
      return;
    }
    enums[name] = prev ?? { values, ...extra, source };
  };
  for (const f of files) {
    const lines = tree.read(f).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      // A message emitted to the user, possibly continued with `+` on the next lines.
      let msg = stringsOf(line).join("");
      for (let j = i; /\+\s*$/.test(lines[j] ?? "") && j < i + 6; j++) msg += stringsOf(lines[j + 1] ?? "").join("");

      // Deprecation warnings: "<option> is deprecated …" / "<option> is being deprecated …".
      if (/\b(warns|warnings)\s*=\s*append\(/.test(line)) {
        const d = /^(?:[\w.]+\.)?(\w+) is (?:being )?deprecated/.exec(msg);
        if (d && names.has(d[1])) deprecated[d[1]] ??= { message: msg, source: at(f, i) };
      }
      // Field documentation that starts "Deprecated": the next field tagged mapstructure.
      if (/^\s*\/\/\s*Deprecated\b/.test(line)) {
        for (let j = i + 1; j < lines.length && j < i + 40; j++) {
          if (!/^\s*\/\//.test(lines[j])) {
            const t = /mapstructure:"([\w-]+)"/.exec(lines[j]);
            if (t && names.has(t[1])) deprecated[t[1]] ??= { message: line.trim().replace(/^\/\/\s*/, ""), source: at(f, i) };
            break;
          }
        }
      }
      // "supersedes `x` which is now considered deprecated"
      for (const m of line.matchAll(/`([\w-]+)` which is (?:now )?(?:considered )?deprecated/g)) {
        if (names.has(m[1])) deprecated[m[1]] ??= { message: line.trim().replace(/^\/\/\s*/, ""), source: at(f, i) };
      }

      // Allowed values stated by a validation error.
      let e;
      if ((e = /^(\w+) requires either (\w+) or (\w+) as its value/.exec(msg))) addEnum(e[1], [e[2], e[3]], at(f, i));
      if ((e = /^(\w+) only accepts '(\w+)' or '(\w+)' values/.exec(msg))) addEnum(e[1], [e[2], e[3]], at(f, i));
      if ((e = /^(\w+) must be one of ((?:\w+, )*\w+) or (\w+)\.?$/.exec(msg))) addEnum(e[1], [...e[2].split(", "), e[3]], at(f, i));
      if ((e = /^The (\w+) %q is invalid, the valid values are (\w+) and (\w+)/.exec(msg))) addEnum(e[1], [e[2], e[3]], at(f, i));
    }
    // A name looked up, upper-cased, in a literal map of the same function:
    //   lookup := map[string]string{ "CHINA": "china", … }; name := strings.ToUpper(c.Field); … lookup[name]
    const src = lines.join("\n");
    for (const fn of src.split(/\n(?=func )/)) {
      const up = /(\w+)\s*:?=\s*strings\.ToUpper\(\w+\.(\w+)\)/.exec(fn);
      const map = /(\w+)\s*:?=\s*map\[string\]string\{([\s\S]*?)\n\s*\}/.exec(fn);
      if (!up || !map || !new RegExp(`\\b${map[1]}\\[${up[1]}\\]`).test(fn)) continue;
      const name = fieldTags.get(up[2]);
      if (!name) continue;
      const keys = [...map[2].matchAll(/^\s*"([^"]+)":/gm)].map((m) => m[1]);
      const lineNo = src.slice(0, src.indexOf(fn) + fn.indexOf(map[0])).split("\n").length - 1;
      addEnum(name, keys, at(f, lineNo), { caseInsensitive: true, note: `${up[2]} is upper-cased and looked up in this map; any other name fails` });
    }
  }
  return { deprecated, enums };
}

// ---------------------------------------------------------------------------------------

/**
 * The attributes Packer core itself decodes in every `provisioner` block (pause_before,
 * only, …), from the anonymous struct in decodeProvisioner: hcl:"name,optional" tags.
 */
function provisionerMeta(tree) {
  const file = "hcl2template/types.build.provisioners.go";
  const src = tree.read(file);
  const at = src.indexOf("func (p *Parser) decodeProvisioner(");
  const struct = /var b struct \{([\s\S]*?)\n\t\}/.exec(src.slice(at));
  if (at < 0 || !struct) throw new Error(`${file}: no decodeProvisioner struct`);
  const goType = { string: "string", int: "number", bool: "bool", "[]string": "list(string)", "cty.Value": "any" };
  const attributes = {};
  for (const m of struct[1].matchAll(/^\s*\w+\s+(\S+)\s+`hcl:"(\w+),optional"`/gm)) {
    if (!goType[m[1]]) throw new Error(`${file}: unknown Go type ${m[1]} of ${m[2]}`);
    attributes[m[2]] = { type: goType[m[1]] };
  }
  return { spec: `${file}:${src.slice(0, at).split("\n").length}`, attributes, blocks: {} };
}

export function readPlugin({ gitDir, tag, plugin }) {
  const def = COMPONENTS[plugin];
  if (!def) throw new Error(`unknown plugin ${plugin}; one of ${Object.keys(COMPONENTS).join(", ")}`);
  const tree = new Tree(gitDir, tag);
  const read = (dir) => {
    const r = bodyReader(tree);
    const body = r.body(dir, "FlatConfig", []);
    const names = new Set(attributePaths(body).map(([n]) => n));
    const scanned = sourcePackages(tree, r.module, dir);
    const facts = sourceFacts(tree, scanned, names);
    return { package: dir, ...body, deprecated: facts.deprecated, enums: facts.enums, factsReadFrom: scanned };
  };
  const out = {
    $comment:
      "Generated by scripts/plugin-schemas.mjs from the plugin's Go source; do not edit. deprecated/enums are keyed by attribute name and apply wherever that name appears in the component's body.",
    plugin,
    repository: def.repository,
    tag,
    version: tag.replace(/^v/, ""),
    commit: tree.commit,
  };
  if (def.builders) out.builders = Object.fromEntries(Object.entries(def.builders).map(([type, dir]) => [type, read(dir)]));
  if (def.provisioners) {
    out.provisioners = Object.fromEntries(Object.entries(def.provisioners).map(([type, dir]) => [type, read(dir)]));
    out.provisionerMeta = provisionerMeta(tree);
  }
  return out;
}

function writePlugin(opts, outDir) {
  const data = readPlugin(opts);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${data.plugin}-${data.version}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
  const parts = Object.entries({ ...data.builders, ...data.provisioners }).map(
    ([type, b]) =>
      `${type}: ${Object.keys(b.attributes).length} attributes, ${Object.keys(b.blocks).length} blocks, ${Object.keys(b.deprecated).length} deprecated, ${Object.keys(b.enums).length} enums`,
  );
  process.stderr.write(`${file}: ${data.repository}@${data.tag} (${data.commit.slice(0, 12)}): ${parts.join("; ")}\n`);
}

function main() {
  const { values } = parseArgs({
    options: {
      "git-dir": { type: "string" },
      tag: { type: "string" },
      plugin: { type: "string" },
      out: { type: "string", default: OUT_DIR },
      all: { type: "boolean", default: false },
      "mirror-root": { type: "string", default: "/work/.mirror" },
      "git-dir-amazon": { type: "string" },
      "git-dir-azure": { type: "string" },
      "git-dir-googlecompute": { type: "string" },
      "git-dir-packer": { type: "string" },
    },
  });
  if (values.all) {
    const sources = JSON.parse(readFileSync(join(OUT_DIR, "sources.json"), "utf8"));
    for (const [plugin, { tags }] of Object.entries(sources.plugins)) {
      const repo = COMPONENTS[plugin].repository.split("/").pop();
      const gitDir = values[`git-dir-${plugin}`] ?? join(values["mirror-root"], `hashicorp+${repo}`, "repo");
      for (const tag of tags) writePlugin({ gitDir, tag, plugin }, values.out);
    }
    return;
  }
  if (!values["git-dir"] || !values.tag) throw new Error("usage: plugin-schemas.mjs --git-dir DIR --tag vX.Y.Z [--plugin NAME] | --all");
  // The plugin is named by the repository's go.mod unless given.
  const plugin =
    values.plugin ??
    Object.keys(COMPONENTS).find((p) => new RegExp(`^module\\s+${COMPONENTS[p].repository}(/v\\d+)?\\s*$`, "m").test(git(values["git-dir"], "show", `${values.tag}:go.mod`)));
  if (!plugin)
    throw new Error(
      `${values["git-dir"]} at ${values.tag} is none of ${Object.values(COMPONENTS)
        .map((c) => c.repository)
        .join(", ")}; name it with --plugin`,
    );
  writePlugin({ gitDir: values["git-dir"], tag: values.tag, plugin }, values.out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
