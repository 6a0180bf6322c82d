/**
 * Flags that name files: does the file exist and can arv-image read it, and what is in it
 * (public keys, /etc/hosts lines); and the --out directory render creates.
 */
import { constants, accessSync, readFileSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { flagByKey, type FlagDef } from "./flags.js";
import { badValue, quote } from "./messages.js";
import type { HostsEntry } from "./resolved.js";
import type { Options } from "./schema.js";
import { parsePublicKeys, type PublicKey } from "./ssh-key.js";
import { parseHostsEntry } from "./values.js";

export function checkFile(f: FlagDef, path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return badValue(f, path, "not a regular file");
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return badValue(f, path, code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable" : `cannot read it (${code})`);
  }
}

export function readPublicKeys(path: string, problems: string[]): PublicKey[] {
  const f = flagByKey("publicKeyFile");
  const p = checkFile(f, path);
  if (p) {
    problems.push(p);
    return [];
  }
  const r = parsePublicKeys(readFileSync(path, "utf8"));
  if (r.ok) return r.keys;
  if (r.privateKey) {
    problems.push(`--public-key-file ${quote(path)}: this is a PRIVATE key, and arv-image never uploads one. Give the dispatcher's PUBLIC key instead, e.g. --public-key-file ${quote(path.endsWith(".pub") ? path : path + ".pub")} (make it with: ssh-keygen -y -f ${path} > ${path}.pub).`);
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
    const p = checkFile(ff, o.hostsFile);
    if (p) problems.push(p);
    else {
      for (const [i, raw] of readFileSync(o.hostsFile, "utf8").split(/\r?\n/).entries()) {
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
  try {
    const st = await stat(target);
    if (!st.isDirectory()) return `--out ${JSON.stringify(out)}: exists and is not a directory; expected a new or empty directory, e.g. --out ./build-zzzzz.`;
    if ((await readdir(target)).length > 0) return `--out ${JSON.stringify(out)}: directory is not empty; expected a new or empty directory (arv-image never overwrites a build directory), e.g. --out ./build-zzzzz-2.`;
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return `--out ${JSON.stringify(out)}: cannot use it (${(e as NodeJS.ErrnoException).code}).`;
  }
  try {
    if (!(await stat(dirname(target))).isDirectory()) throw new Error();
  } catch {
    return `--out ${JSON.stringify(out)}: its parent directory ${JSON.stringify(dirname(target))} does not exist; expected a path whose parent exists, e.g. --out ./build-zzzzz.`;
  }
  return undefined;
}
