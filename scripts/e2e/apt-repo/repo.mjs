// @ts-check
/**
 * apt repository indices, written the way apt-ftparchive does (Packages with Filename, Size and
 * hashes; Release with MD5Sum/SHA1/SHA256/SHA512 of each index), then signed: InRelease and
 * Release.gpg. Generated here rather than by apt-ftparchive so that the build needs no apt-utils
 * and its output does not depend on the clock (the Release Date is fixed).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { formatFields } from "./deb.mjs";
import { digest } from "./util.mjs";

/**
 * @typedef {object} IndexEntry
 * @property {[string, string][]} fields control fields of the package
 * @property {string} filename path relative to the repository root ("./x.deb" in flat repositories)
 * @property {Buffer} data the .deb
 */

/** A Packages stanza: control fields, then Filename, Size and hashes, then Description. @param {IndexEntry} e */
function stanza(e) {
  const desc = e.fields.filter(([k]) => k === "Description");
  const rest = e.fields.filter(([k]) => k !== "Description");
  return formatFields([
    ...rest,
    ["Filename", e.filename],
    ["Size", String(e.data.length)],
    ["MD5sum", digest("md5", e.data)],
    ["SHA1", digest("sha1", e.data)],
    ["SHA256", digest("sha256", e.data)],
    ["SHA512", digest("sha512", e.data)],
    ...desc,
  ]);
}

/** @param {IndexEntry[]} entries */
export function packagesIndex(entries) {
  const sorted = [...entries].sort((a, b) => {
    const na = a.fields[0]?.[1] ?? "";
    const nb = b.fields[0]?.[1] ?? "";
    return na < nb ? -1 : na > nb ? 1 : a.filename < b.filename ? -1 : 1;
  });
  return sorted.map(stanza).join("\n");
}

/** RFC 2822 date, as in Release files. @param {number} epoch */
export const releaseDate = (epoch) => new Date(epoch * 1000).toUTCString().replace("GMT", "UTC");

/**
 * Writes Packages and Packages.gz at `dir/rel` and returns them for the Release file.
 * @param {string} dir directory of the Release file
 * @param {string} rel index path relative to it ("main/binary-amd64/Packages" or "Packages")
 * @param {string} text
 */
async function writeIndex(dir, rel, text) {
  const plain = Buffer.from(text, "utf8");
  const gz = gzipSync(plain, { level: 9 });
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), plain);
  await writeFile(join(dir, `${rel}.gz`), gz);
  return [
    { name: rel, data: plain },
    { name: `${rel}.gz`, data: gz },
  ];
}

/**
 * Release text.
 * @param {[string, string][]} head
 * @param {{ name: string, data: Buffer }[]} files
 */
function releaseText(head, files) {
  const sums = [
    ["MD5Sum", "md5"],
    ["SHA1", "sha1"],
    ["SHA256", "sha256"],
    ["SHA512", "sha512"],
  ];
  const lines = head.map(([k, v]) => `${k}: ${v}`);
  const width = Math.max(...files.map((f) => String(f.data.length).length));
  for (const [field, algo] of sums) {
    lines.push(`${field}:`);
    for (const f of files) lines.push(` ${digest(/** @type {string} */ (algo), f.data)} ${String(f.data.length).padStart(width)} ${f.name}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes Release, InRelease and Release.gpg into dir.
 * @param {string} dir
 * @param {string} release
 * @param {(text: string) => Promise<{ inRelease: string, releaseGpg: string }>} sign
 */
async function writeSigned(dir, release, sign) {
  const { inRelease, releaseGpg } = await sign(release);
  await writeFile(join(dir, "Release"), release);
  await writeFile(join(dir, "InRelease"), inRelease);
  await writeFile(join(dir, "Release.gpg"), releaseGpg);
}

/**
 * A "dists" suite: <root>/dists/<suite>/{Release,InRelease,Release.gpg,<component>/binary-<arch>/Packages{,.gz}}.
 * @param {{ root: string, suite: string, component: string, arch: string, entries: IndexEntry[], release: Record<string, string>, epoch: number, sign: (text: string) => Promise<{ inRelease: string, releaseGpg: string }> }} o
 */
export async function writeDistsSuite(o) {
  const dir = join(o.root, "dists", o.suite);
  const files = await writeIndex(dir, `${o.component}/binary-${o.arch}/Packages`, packagesIndex(o.entries));
  /** @type {[string, string][]} */
  const head = [
    ["Origin", o.release.Origin ?? ""],
    ["Label", o.release.Label ?? ""],
    ["Suite", o.suite],
    ["Codename", o.suite],
    ["Date", releaseDate(o.epoch)],
    ["Architectures", o.arch],
    ["Components", o.component],
    ["Description", o.release.Description ?? ""],
  ];
  await writeSigned(dir, releaseText(head, files), o.sign);
}

/**
 * A flat repository ("Suites: /"): Packages{,.gz}, Release, InRelease and Release.gpg in root.
 * @param {{ root: string, arch: string, entries: IndexEntry[], release: Record<string, string>, epoch: number, sign: (text: string) => Promise<{ inRelease: string, releaseGpg: string }> }} o
 */
export async function writeFlat(o) {
  const files = await writeIndex(o.root, "Packages", packagesIndex(o.entries));
  /** @type {[string, string][]} */
  const head = [
    ["Origin", o.release.Origin ?? ""],
    ["Label", o.release.Label ?? ""],
    ["Date", releaseDate(o.epoch)],
    ["Architectures", o.arch],
    ["Description", o.release.Description ?? ""],
  ];
  await writeSigned(o.root, releaseText(head, files), o.sign);
}
