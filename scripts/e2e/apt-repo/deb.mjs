// @ts-check
/** Building one stand-in .deb with dpkg-deb, reproducibly (fixed mtimes, root-owned, gzip). */
import { chmod, lstat, lutimes, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { maintainerScripts } from "./spec.mjs";
import { run } from "./util.mjs";

export const MAINTAINER = "arv-image e2e stand-ins <arv-image-e2e@example.invalid>";

/** Debian's file name for a package: no epoch. @param {import("./spec.mjs").PackageSpec} p */
export const debFileName = (p) => `${p.name}_${p.version.replace(/^\d+:/, "")}_${p.arch}.deb`;

/** Fields of the control file, in order (Description last). @param {import("./spec.mjs").PackageSpec} p @param {number} installedSize */
export function controlFields(p, installedSize) {
  /** @type {[string, string][]} */
  const f = [["Package", p.name]];
  if (p.source && p.source !== p.name) f.push(["Source", p.source]);
  f.push(["Version", p.version], ["Architecture", p.arch], ["Maintainer", MAINTAINER], ["Installed-Size", String(installedSize)]);
  if (p.depends) f.push(["Depends", p.depends]);
  if (p.recommends) f.push(["Recommends", p.recommends]);
  if (p.conflicts) f.push(["Conflicts", p.conflicts]);
  if (p.replaces) f.push(["Replaces", p.replaces]);
  if (p.provides) f.push(["Provides", p.provides]);
  f.push(["Section", p.section], ["Priority", "optional"]);
  if (p.homepage) f.push(["Homepage", p.homepage]);
  const notes = [
    `This is NOT the real package: a tiny stand-in from arv-image's e2e mirror${p.decoy ? ", a newer release that arv-image's apt pin must keep out" : ""}.`,
    ...(p.notes ?? []),
    "See test/support/mirror/README.md in arv-image.",
  ];
  f.push(["Description", `stand-in for ${p.real}\n${notes.map((n) => ` ${n}`).join("\n")}`]);
  return f;
}

/** @param {[string, string][]} fields */
export const formatFields = (fields) => fields.map(([k, v]) => `${k}: ${v}`).join("\n") + "\n";

/**
 * Builds the package into outFile.
 * @param {import("./spec.mjs").PackageSpec} p
 * @param {string} stageDir an empty scratch directory
 * @param {string} outFile
 * @param {number} epoch mtime of every member (seconds)
 * @returns {Promise<[string, string][]>} the control fields
 */
export async function buildDeb(p, stageDir, outFile, epoch) {
  const root = join(stageDir, "root");
  await mkdir(join(root, "DEBIAN"), { recursive: true });
  let kib = 0;
  let inodes = 0;
  const conffiles = [];
  for (const f of p.files) {
    if (!f.path.startsWith("/") || f.path.includes("..")) throw new Error(`${p.name}: bad path ${f.path}`);
    const dest = join(root, f.path);
    await mkdir(dirname(dest), { recursive: true });
    if (f.symlink !== undefined) {
      await symlink(f.symlink, dest);
    } else {
      const data = f.bytes ?? Buffer.from(f.content ?? "", "utf8");
      await writeFile(dest, data);
      const text = f.content ?? "";
      await chmod(dest, f.mode ?? (text.startsWith("#!") ? 0o755 : 0o644));
      kib += Math.ceil(data.length / 1024);
      if (f.path.startsWith("/etc/")) conffiles.push(f.path);
    }
  }
  const scripts = maintainerScripts(p);
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(join(root, "DEBIAN", name), text);
    await chmod(join(root, "DEBIAN", name), 0o755);
  }
  if (conffiles.length > 0) await writeFile(join(root, "DEBIAN", "conffiles"), conffiles.sort().join("\n") + "\n");
  // Every directory 0755 (whatever the umask), every mtime the epoch; count inodes as dpkg-gencontrol does.
  /** @param {string} dir @param {boolean} inData */
  const walk = async (dir, inData) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const data = inData && !(dir === root && e.name === "DEBIAN");
      if (e.isDirectory()) {
        await chmod(path, 0o755);
        await walk(path, data);
      }
      if (data) inodes += 1;
      await lutimes(path, epoch, epoch);
    }
  };
  await chmod(root, 0o755);
  await walk(root, true);
  await lutimes(root, epoch, epoch);
  const fields = controlFields(p, kib + inodes);
  await writeFile(join(root, "DEBIAN", "control"), formatFields(fields));
  await lutimes(join(root, "DEBIAN", "control"), epoch, epoch);
  await lutimes(join(root, "DEBIAN"), epoch, epoch);
  await run("dpkg-deb", ["--root-owner-group", "-Zgzip", "-z9", "--build", root, outFile], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
  await lstat(outFile);
  return fields;
}
