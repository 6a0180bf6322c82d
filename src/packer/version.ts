/**
 * Finds packer and reads its version, once per Packer binary: `packer version` costs about
 * a quarter of a second with Packer 1.6.6 (longer than the rest of `render`), so its answer
 * is kept in the user's cache directory, keyed by the binary's resolved path, size, mtime,
 * inode and ctime. Another binary (a different path, or the same path replaced, upgraded or
 * touched) is asked again, and so is a version manager's shim every time. A cache that
 * cannot be read or written is ignored: then every run asks Packer, as it always did.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { cacheHome, makeDirs } from "../user-dirs.js";
import { packerEnvironment } from "./environment.js";
import { LIMITS, readUserFile } from "../config/read-file.js";

export function parsePackerVersion(output: string): string | undefined {
  return /Packer v?(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** `packer version` of the packer on PATH (or at `bin`), or undefined when there is none. */
export async function detectPackerVersion(bin = "packer", env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return (await probePacker(bin, env)).version;
}

/** What asking `bin` for its version gave: the version, or whether it was found and what it said. */
export interface PackerProbe {
  version: string | undefined;
  /** The executable exists (on PATH, or at the path given). */
  found: boolean;
  /** Its stderr when it did not answer with a version (first lines). */
  stderr: string;
}

export async function probePacker(bin = "packer", env: NodeJS.ProcessEnv = process.env): Promise<PackerProbe> {
  const found = locate(bin, env);
  // A version manager's shim (asdf, mise: …/shims/packer) runs whichever Packer the current
  // directory's settings name: the same file answers differently, so it is asked each time.
  const id = found === undefined || found.split("/").includes("shims") ? undefined : identify(found);
  const file = cacheFile(env);
  if (id !== undefined && file !== undefined) {
    const hit = readCache(file).find((e) => sameBinary(e, id));
    if (hit) return { version: hit.version, found: true, stderr: "" };
  }
  const { version, stderr } = await askPacker(found ?? bin);
  if (version !== undefined && id !== undefined && file !== undefined) writeCache(file, { ...id, version });
  return { version, found: found !== undefined, stderr };
}

function askPacker(bin: string): Promise<{ version: string | undefined; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ["version"],
      // The same allow-listed environment as every other Packer run.
      { env: packerEnvironment(process.env, []), timeout: 15_000, encoding: "utf8", maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => resolve({ version: err ? undefined : parsePackerVersion(stdout), stderr: String(stderr ?? "").slice(0, 2000) }),
    );
  });
}

/** What makes a binary the same binary. */
interface BinaryId {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

interface CacheEntry extends BinaryId {
  version: string;
}

const sameBinary = (a: BinaryId, b: BinaryId) => a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;

/** The executable `bin` names, as execFile would find it: a path, or the first on PATH. */
function locate(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = bin.includes("/") ? [resolve(bin)] : (env.PATH ?? "").split(delimiter).map((d) => resolve(d === "" ? "." : d, bin));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* not there, or not executable: the next one */
    }
  }
  return undefined;
}

function identify(path: string): BinaryId | undefined {
  try {
    const real = realpathSync(path);
    const s = statSync(real);
    return { path: real, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
  } catch {
    return undefined;
  }
}

/** packer-version.json in arv-image's cache home (user-dirs.ts); undefined without a home. */
function cacheFile(env: NodeJS.ProcessEnv): string | undefined {
  const home = cacheHome(env);
  return home === undefined ? undefined : join(home, "packer-version.json");
}

/** Entries kept: enough for the few Packers one machine has (tests make many short-lived ones). */
const MAX_ENTRIES = 16;

function readCache(file: string): CacheEntry[] {
  try {
    // Bounded and non-blocking like every other read: the cache path comes from the environment.
    const r = readUserFile(file, LIMITS.small);
    if (!r.ok) return [];
    const doc = JSON.parse(r.data.toString("utf8")) as { entries?: unknown };
    return Array.isArray(doc.entries) ? (doc.entries as unknown[]).filter(isEntry) : [];
  } catch {
    return [];
  }
}

function isEntry(e: unknown): e is CacheEntry {
  const o = e as Record<string, unknown> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.path === "string" &&
    typeof o.version === "string" &&
    parsePackerVersion(`Packer v${o.version}`) === o.version &&
    ["size", "mtimeMs", "ctimeMs", "ino"].every((k) => typeof o[k] === "number")
  );
}

/** Written beside and renamed into place, so a reader never sees half a file; any failure is ignored. */
function writeCache(file: string, entry: CacheEntry): void {
  try {
    const entries = [entry, ...readCache(file).filter((e) => e.path !== entry.path)].slice(0, MAX_ENTRIES);
    const dir = join(file, "..");
    makeDirs(dir, 0o700);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ entries }, null, 1) + "\n", { mode: 0o600 });
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    /* an unwritable cache only costs the next run a `packer version` */
  }
}
