/**
 * The golden tree, stored so that a reviewer reads each file once:
 *
 *   test/golden/<case>/<path>                   rendered alike for every Packer version
 *   test/golden/<case>/packer-<version>/<path>  rendered differently (or only) for that version
 *
 * A path is in one place or the other, never both. What a case renders for a version is the
 * shared files plus that version's directory. Static files (templates/files/*) are copied as they
 * are and have no golden copy.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO } from "../support/cli.js";
import { listFiles } from "../support/tools.js";

export const GOLDEN = join(REPO, "test/golden");
export const CASES = JSON.parse(readFileSync(join(GOLDEN, "cases.json"), "utf8")) as Record<string, string[]>;
/** Debian's Packer (validated for real) and a current one (rendered with required_plugins). */
export const OLD_PACKER = "1.6.6";
export const CURRENT_PACKER = "1.11.2";
export const PACKER_VERSIONS = [OLD_PACKER, CURRENT_PACKER] as const;

/** Path → content. */
export type Files = Map<string, string>;

const VERSION_DIR = /^packer-(\d+\.\d+\.\d+)$/;

/** The case directories in test/golden (to catch one that no case renders any more). */
export function caseDirs(): string[] {
  return readdirSync(GOLDEN, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** What the golden tree says `name` renders for Packer `version` (empty when there is no tree yet). */
export function goldenFiles(name: string, version: string): Files {
  const dir = join(GOLDEN, name);
  const out: Files = new Map();
  if (!existsSync(dir)) return out;
  for (const f of listFiles(dir)) {
    const top = f.split("/", 1)[0] ?? "";
    const v = VERSION_DIR.exec(top)?.[1];
    if (v === undefined) out.set(f, readFileSync(join(dir, f), "utf8"));
  }
  const own = join(dir, `packer-${version}`);
  if (existsSync(own)) {
    for (const f of listFiles(own)) {
      if (out.has(f)) throw new Error(`test/golden/${name}: ${f} is both shared and in packer-${version}/ (it must be in one place)`);
      out.set(f, readFileSync(join(own, f), "utf8"));
    }
  }
  return out;
}

/** One golden file as `version` renders it. */
export function goldenFile(name: string, version: string, path: string): string {
  const content = goldenFiles(name, version).get(path);
  if (content === undefined) throw new Error(`test/golden/${name} has no ${path} for Packer ${version}`);
  return content;
}

/** The split a case's renders are stored as: shared paths once, the rest under packer-<version>/. */
export function splitByVersion(renders: ReadonlyMap<string, Files>): Files {
  const out: Files = new Map();
  const versions = [...renders.keys()];
  const paths = new Set([...renders.values()].flatMap((files) => [...files.keys()]));
  for (const path of [...paths].sort()) {
    const contents = versions.map((v) => renders.get(v)?.get(path));
    const first = contents[0];
    if (first !== undefined && contents.every((c) => c === first)) {
      out.set(path, first);
      continue;
    }
    versions.forEach((v, i) => {
      const c = contents[i];
      if (c !== undefined) out.set(`packer-${v}/${path}`, c);
    });
  }
  return out;
}

/** Replaces test/golden/<name>/ with `files` (paths as splitByVersion gives them). */
export function writeCase(name: string, files: Files): void {
  const dir = join(GOLDEN, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Writes what `name` renders for `version` into `dir`, as a build directory (for packer inspect). */
export function materialize(name: string, version: string, dir: string): void {
  for (const [path, content] of goldenFiles(name, version)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}
