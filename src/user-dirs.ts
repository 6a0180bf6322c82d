/**
 * Directories arv-image makes for itself: its cache under the user's cache home, and any
 * directory path at all. Every directory is made here, level by level: Node's own
 * `mkdir(…, { recursive: true })` (and `module.enableCompileCache()`, which uses it) never
 * returns where mkdir(2) answers ENOENT for a parent that exists, as it does anywhere under
 * /proc (Node 20 and 24 alike): TMPDIR=/proc or XDG_CACHE_HOME=/proc/x hung arv-image at
 * full CPU.
 */
import { mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** `$XDG_CACHE_HOME/arv-image`, else `~/.cache/arv-image`; undefined without a home. */
export function cacheHome(env: NodeJS.ProcessEnv): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "arv-image");
  if (env.HOME !== undefined && env.HOME !== "") return join(env.HOME, ".cache", "arv-image");
  try {
    const h = homedir();
    return h === "" ? undefined : join(h, ".cache", "arv-image");
  } catch {
    return undefined;
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * `mkdir -p` that always ends: the missing directories are made one by one (each with
 * `mode`), and the first failure other than "it exists" is thrown.
 */
export function makeDirs(dir: string, mode: number): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: "ENOTDIR", path: d });
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
    } catch (e) {
      if (code(e) !== "EEXIST") throw e;
    }
  }
}

/** A directory of arv-image's cache, made if need be (private to the user); undefined when it cannot be. */
export function cacheDir(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const home = cacheHome(env);
  if (home === undefined) return undefined;
  const dir = join(home, name);
  try {
    makeDirs(dir, 0o700);
    return dir;
  } catch {
    return undefined;
  }
}
