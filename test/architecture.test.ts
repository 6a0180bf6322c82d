/**
 * The layers of src/ lean one way (see src/README or the architecture sketch): the CLI on
 * top, then the pipeline, then preflight / render / packer, clouds, config, and the base
 * modules at the top of src/. This reads every import of src/**\/*.ts (static, dynamic,
 * re-exports and `import("…")` types alike: a type import is an arrow a reader follows too)
 * and fails on a cycle between folders and on the arrows that must not exist, naming the
 * import that makes them. A module at the top of src/ (main.ts, errors.ts, io.ts, …) counts
 * as its own node.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/cli.js";

const SRC = join(REPO, "src");

interface Arrow {
  from: string; // folder or top-level module
  to: string;
  /** src/x/y.ts:12 imports "../z/w.js" */
  where: string;
  fromFile: string;
  toFile: string;
}

/**
 * Arrows allowed against the rules below, each with its reason. None today; the test fails
 * when a listed one is gone, so the list only ever shrinks.
 */
const KNOWN: { fromFile: RegExp; toFile: string; why: string }[] = [];

/** Data tables may be long: one row per flag, nothing else (src/config/flag-types.ts has the logic). */
const DATA_TABLES = ["config/flags.ts"];

/** Which layers may not import which. `*` is any node. */
const FORBIDDEN: { from: RegExp; to: RegExp; why: string }[] = [
  { from: /^config$/, to: /^(render|packer|cli|pipeline|preflight|clouds)$/, why: "config is below everything that uses a resolved configuration" },
  { from: /^(render|packer)$/, to: /^(cli|pipeline)$/, why: "rendering and running Packer know nothing of the command line or the pipeline" },
  { from: /^render$/, to: /^(clouds|preflight|packer)$/, why: "rendering makes no cloud calls and runs no Packer" },
  { from: /^(clouds|preflight|pipeline|data)$/, to: /^cli$/, why: "only the CLI (and main.ts) knows the commands" },
  { from: /^(?!entry\.ts$).*/, to: /^main\.ts$/, why: "main.ts is the top: only entry.ts loads it" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** `cli`, `render`, … for a file in a folder; the file name for one at the top of src/. */
const nodeOf = (rel: string) => (rel.includes("/") ? (rel.split("/")[0] as string) : rel);

/** Every relative import specifier in a file, with its line. */
function importsOf(text: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const patterns = [/\b(?:import|export)\s[^"';]*?\sfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const spec = m[1] as string;
      if (spec.startsWith(".")) out.push({ spec, line: text.slice(0, m.index).split("\n").length });
    }
  }
  return out;
}

function arrows(): Arrow[] {
  const out: Arrow[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
      .replace(/\/\/.*$/gm, "");
    for (const { spec, line } of importsOf(text)) {
      const target = relative(SRC, normalize(join(dirname(file), spec))).replace(/\.js$/, ".ts");
      if (target.startsWith("..")) continue;
      const from = nodeOf(rel);
      const to = nodeOf(target);
      if (from !== to) out.push({ from, to, where: `src/${rel}:${line} imports "${spec}"`, fromFile: rel, toFile: target });
    }
  }
  return out;
}

const isKnown = (a: Arrow) => KNOWN.some((k) => k.fromFile.test(a.fromFile) && k.toFile === a.toFile);

/** Strongly connected components with more than one node (Tarjan). */
function cycles(edges: readonly Arrow[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    if (!graph.has(e.to)) graph.set(e.to, new Set());
    graph.get(e.from)?.add(e.to);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe("architecture: the layers of src/", () => {
  const all = arrows();
  const counted = all.filter((a) => !isKnown(a));

  it("reads the imports it checks (a parser that finds nothing passes everything)", () => {
    expect(all.some((a) => a.from === "main.ts" && a.to === "cli")).toBe(true);
    expect(all.some((a) => a.from === "preflight" && a.to === "clouds")).toBe(true); // a dynamic import()
    expect(all.some((a) => a.from === "clouds" && a.toFile === "clouds/ec2-sdk.ts")).toBe(false); // same folder: no arrow
    expect(importsOf('type Ec2 = typeof import("./ec2-sdk.js");\nexport { x } from "../y.js";')).toEqual([
      { spec: "../y.js", line: 2 },
      { spec: "./ec2-sdk.js", line: 1 },
    ]);
  });

  it("has no cycle between folders", () => {
    const found = cycles(counted).map((scc) => {
      const inside = counted.filter((a) => scc.includes(a.from) && scc.includes(a.to));
      return `${scc.join(" ⇄ ")}:\n${inside.map((a) => `  ${a.where}`).join("\n")}`;
    });
    expect(found, found.join("\n")).toEqual([]);
  });

  it("has none of the forbidden arrows", () => {
    const bad = counted.flatMap((a) => FORBIDDEN.filter((f) => f.from.test(a.from) && f.to.test(a.to)).map((f) => `${a.from} → ${a.to} (${f.why}): ${a.where}`));
    expect(bad, bad.join("\n")).toEqual([]);
  });

  it("a command file imports no other command file's internals (only program.ts loads them)", () => {
    const cross = sourceFiles(join(SRC, "cli")).flatMap((file) => {
      const rel = relative(SRC, file);
      if (rel === "cli/program.ts") return [];
      return importsOf(readFileSync(file, "utf8"))
        .filter(({ spec }) => spec.startsWith("./"))
        .map(({ spec, line }) => `src/${rel}:${line} imports "${spec}"`);
    });
    expect(cross, cross.join("\n")).toEqual([]);
  });

  it("has no module over ~300 lines (but data tables)", () => {
    const big = sourceFiles(SRC)
      .map((file) => ({ rel: relative(SRC, file), lines: readFileSync(file, "utf8").split("\n").length - 1 }))
      .filter((f) => f.lines > 320 && !DATA_TABLES.includes(f.rel))
      .map((f) => `src/${f.rel}: ${f.lines} lines`);
    expect(big, big.join("\n")).toEqual([]);
  });

  it("makes directories only through user-dirs.ts (Node's recursive mkdir never returns under /proc)", () => {
    const offenders = sourceFiles(SRC).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((text, i) =>
          !/^\s*(\*|\/\/)/.test(text) && /\bmkdir(Sync)?\([^)]*recursive|enableCompileCache\?*\.?\(\s*\)/.test(text) ? [`src/${relative(SRC, file)}:${i + 1}: ${text.trim()}`] : [],
        ),
    );
    // The rule reads what it checks: the one place that may call mkdir does, without `recursive`.
    expect(readFileSync(join(SRC, "user-dirs.ts"), "utf8")).toMatch(/mkdirSync\(d, \{ mode \}\)/);
    expect(offenders, offenders.join("\n")).toEqual([]);
  });

  it("lists only exceptions that still exist", () => {
    const stale = KNOWN.filter((k) => !all.some((a) => k.fromFile.test(a.fromFile) && k.toFile === a.toFile)).map((k) => `${k.fromFile} → ${k.toFile}`);
    expect(stale, `remove from KNOWN: ${stale.join(", ")}`).toEqual([]);
  });
});
