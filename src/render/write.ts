/**
 * All-or-nothing: files go into a fresh directory beside the target, which is renamed
 * into place only when every file is written. On any failure the temporary directory
 * is removed and the target is as it was.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { makeDirs } from "../user-dirs.js";
import { chmod, mkdtemp, open, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { checkOutDir } from "../config/files.js";
import { quote } from "../config/messages.js";
import { EnvironmentError, UsageError } from "../errors.js";
import type { RenderedFile } from "./build-dir.js";

// The --out check is part of resolving the command line; writing checks again, right
// before it creates anything.
export { checkOutDir };

/**
 * Whether a file can be created in `dir`, found by creating (and removing) one: permission
 * bits say nothing for root, a read-only mount or /proc. Undefined when it can.
 */
export async function cannotCreateIn(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.arv-image-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await (await open(probe, "wx", 0o600)).close();
    await unlink(probe);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** Reasons an output file (`--emit-config FILE`) cannot be written, checked before anything runs. */
export async function checkOutputFile(flag: string, path: string, example: string): Promise<string | undefined> {
  const target = resolve(path);
  const q = JSON.stringify(path);
  try {
    const st = await stat(target);
    if (st.isDirectory()) return `${flag} ${q}: is a directory; expected a file path, e.g. ${flag} ${example}.`;
    if (!st.isFile()) return `${flag} ${q}: exists and is not a regular file; expected a file path, e.g. ${flag} ${example}.`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return `${flag} ${q}: cannot use it (${(e as NodeJS.ErrnoException).code}); expected a file path, e.g. ${flag} ${example}.`;
  }
  try {
    if (!(await stat(dirname(target))).isDirectory()) throw new Error();
  } catch {
    return `${flag} ${q}: its directory does not exist; expected a file path in an existing directory, e.g. ${flag} ${example}.`;
  }
  // Written beside the target and renamed over it (writeFileAtomic): the directory must take a new file.
  const denied = await cannotCreateIn(dirname(target));
  if (denied) return `${flag} ${q}: cannot write in ${JSON.stringify(dirname(target))} (${denied}); expected a file path in a writable directory, e.g. ${flag} ${example}.`;
  return undefined;
}

export async function writeBuildDir(out: string, files: readonly RenderedFile[]): Promise<string> {
  const target = resolve(out);
  const problem = await checkOutDir(out);
  if (problem) throw new UsageError(problem);
  let tmp: string;
  try {
    tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.arv-image-`));
  } catch (e) {
    // The directory the user named cannot hold a new directory (read-only, not writable, /proc…).
    throw new UsageError(
      `--out ${quote(out)}: cannot create a directory in ${quote(dirname(target))} (${errnoText(e)}); expected a new or empty directory in a writable directory, e.g. --out ./build-zzzzz.`,
    );
  }
  try {
    // Synchronous on purpose: twenty small files, nothing else to do meanwhile, and each
    // promise round trip through the thread pool costs more than the write itself.
    for (const f of files) {
      const p = join(tmp, f.path);
      makeDirs(dirname(p), 0o755);
      writeFileSync(p, f.content, { mode: f.mode });
      chmodSync(p, f.mode); // the umask must not loosen or tighten what was asked
    }
    await chmod(tmp, 0o755);
    try {
      await rename(tmp, target);
    } catch (e) {
      // An empty target directory: replace it.
      if ((e as NodeJS.ErrnoException).code !== "ENOTEMPTY" && (e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      await rmdir(target);
      await rename(tmp, target);
    }
    return target;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof UsageError) throw e;
    throw new EnvironmentError(
      `could not write the build directory ${quote(target)}: ${errnoText(e)}${(e as NodeJS.ErrnoException).path ? ` (${quote((e as NodeJS.ErrnoException).path)})` : ""}.`,
    );
  }
}

/** One file, whole or not at all: written beside its target, then renamed over it. */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.arv-image-${process.pid}`);
  try {
    writeFileSync(tmp, content, { mode });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new EnvironmentError(`could not write ${target}: ${(e as Error).message}`);
  }
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    case "ENOENT":
      return "the file system does not allow it";
    default:
      return code ?? "error";
  }
}
