/**
 * Flags that name files: does the file exist and can arv-image read it, and what is in it
 * (public keys, /etc/hosts lines); and the --out directory render creates.
 */
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { flagByKey, type FlagDef } from "./flags.js";
import { badValue, quote } from "./messages.js";
import type { HostsEntry } from "./resolved.js";
import type { Options } from "./schema.js";
import { parsePublicKeys, type PublicKey } from "./ssh-key.js";
import { parseHostsEntry } from "./values.js";
import { LIMITS, readUserFile } from "./read-file.js";

/** A file another program reads (Packer, bash): a regular file of a sane size that arv-image can read. */
export function checkFile(f: FlagDef, path: string, limit: number = LIMITS.small): string | undefined {
  const r = readUserFile(path, limit);
  return r.ok ? undefined : badValue(f, path, r.problem);
}

/** The text of a user-named file of a flag, or undefined after adding the problem. */
export function readFlagFile(f: FlagDef, path: string, problems: string[], limit: number = LIMITS.small): string | undefined {
  const r = readUserFile(path, limit);
  if (r.ok) return r.data.toString("utf8");
  problems.push(badValue(f, path, r.problem));
  return undefined;
}

export function readPublicKeys(path: string, problems: string[]): PublicKey[] {
  const f = flagByKey("publicKeyFile");
  const text = readFlagFile(f, path, problems);
  if (text === undefined) return [];
  const r = parsePublicKeys(text);
  if (r.ok) return r.keys;
  if (r.privateKey) {
    problems.push(
      `--public-key-file ${quote(path)}: this is a PRIVATE key, and arv-image never uploads one. Give the dispatcher's PUBLIC key instead, e.g. --public-key-file ${quote(path.endsWith(".pub") ? path : path + ".pub")} (make it with: ssh-keygen -y -f ${path} > ${path}.pub).`,
    );
  } else {
    problems.push(badValue(f, path, r.problem));
  }
  return [];
}

export function readHostsEntries(o: Options, problems: string[]): HostsEntry[] {
  const entries: HostsEntry[] = [];
  const f = flagByKey("hostsEntry");
  for (const line of o.hostsEntry) {
    const r = parseHostsEntry(line);
    if ("error" in r) problems.push(badValue(f, line, r.error));
    else entries.push(r);
  }
  if (o.hostsFile !== undefined) {
    const ff = flagByKey("hostsFile");
    const text = readFlagFile(ff, o.hostsFile, problems);
    if (text !== undefined) {
      for (const [i, raw] of text.split(/\r?\n/).entries()) {
        const line = raw.replace(/#.*/, "").trim();
        if (line === "") continue;
        const r = parseHostsEntry(line);
        if ("error" in r) problems.push(badValue(ff, o.hostsFile, `line ${i + 1}: ${r.error}`));
        else entries.push(r);
      }
    }
  }
  return entries;
}

/** Reasons `--out DIR` cannot be written, checked before rendering anything. */
export async function checkOutDir(out: string): Promise<string | undefined> {
  const target = resolve(out);
  // An empty --out is replaced by a rename: never the caller's own directory or one above it
  // (the shell would be left in a deleted directory).
  const cwd = process.cwd();
  if (target === cwd || cwd.startsWith(target.endsWith(sep) ? target : target + sep)) {
    return `--out ${quote(out)}: is the current directory${target === cwd ? "" : " or contains it"}, which arv-image would replace; expected a new directory, e.g. --out ./build-zzzzz.`;
  }
  try {
    const l = await lstat(target);
    // A link would be replaced by the directory, not followed: say so instead of surprising.
    if (l.isSymbolicLink()) {
      let to = "";
      try {
        to = await realpath(target);
      } catch {
        /* dangling */
      }
      return `--out ${quote(out)}: is a symbolic link${to ? ` (to ${quote(to)})` : ""}; expected a new or empty directory itself, e.g. --out ${to ? quote(to) : "./build-zzzzz"}.`;
    }
  } catch {
    /* no such path: checked below */
  }
  try {
    const st = await stat(target);
    if (!st.isDirectory()) return `--out ${quote(out)}: exists and is not a directory; expected a new or empty directory, e.g. --out ./build-zzzzz.`;
    if ((await readdir(target)).length > 0)
      return `--out ${quote(out)}: directory is not empty; expected a new or empty directory (arv-image never overwrites a build directory), e.g. --out ./build-zzzzz-2.`;
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return `--out ${quote(out)}: cannot use it (${(e as NodeJS.ErrnoException).code}).`;
  }
  try {
    if (!(await stat(dirname(target))).isDirectory()) throw new Error();
  } catch {
    return `--out ${quote(out)}: its parent directory ${quote(dirname(target))} does not exist; expected a path whose parent exists, e.g. --out ./build-zzzzz.`;
  }
  return undefined;
}
