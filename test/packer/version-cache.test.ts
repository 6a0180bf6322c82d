/**
 * Packer's version is asked once per Packer binary (src/packer/version.ts): the real CLI
 * renders with a stand-in packer on the PATH that appends a line to a file each time it
 * runs, so the test counts `packer version` calls.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-version-cache-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A packer that says `version` and counts its calls in `calls` beside it. Returns its directory. */
function standIn(version: string, dir = mkdtempSync(join(tmp, "packer-"))): string {
  const script = `#!/bin/sh\necho "$*" >>"$(dirname "$0")/calls"\necho "Packer v${version}"\n`;
  // Written beside and renamed: a new file (a new inode), as an upgrade installs one.
  writeFileSync(join(dir, "packer.new"), script);
  chmodSync(join(dir, "packer.new"), 0o755);
  renameSync(join(dir, "packer.new"), join(dir, "packer"));
  return dir;
}

const calls = (dir: string) => {
  try {
    return readFileSync(join(dir, "calls"), "utf8")
      .split("\n")
      .filter((l) => l === "version").length;
  } catch {
    return 0;
  }
};

let n = 0;
/** `arv-image render` with `packerDir` first on the PATH and the given cache home; the Packer version it rendered for. */
async function render(packerDir: string, cacheHome: string): Promise<string | undefined> {
  const out = join(tmp, `out-${n++}`);
  const r = await runCli(["render", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--out", out], {
    env: { ...process.env, PATH: `${packerDir}:${process.env.PATH ?? ""}`, XDG_CACHE_HOME: cacheHome },
  });
  expect(r.code, r.stderr).toBe(0);
  return /\(Packer (\S+), detected\)/.exec(r.stderr)?.[1];
}

describe("Packer's version, detected once per binary", () => {
  it("asks `packer version` on the first render only, and keeps the answer in $XDG_CACHE_HOME/arv-image", async () => {
    const dir = standIn("1.9.4");
    const cache = mkdtempSync(join(tmp, "cache-"));
    expect(await render(dir, cache)).toBe("1.9.4");
    expect(calls(dir)).toBe(1);
    expect(await render(dir, cache)).toBe("1.9.4");
    expect(calls(dir)).toBe(1);
    expect(statSync(join(cache, "arv-image", "packer-version.json")).isFile()).toBe(true);
  });

  it("asks again when the binary was touched", async () => {
    const dir = standIn("1.9.4");
    const cache = mkdtempSync(join(tmp, "cache-"));
    await render(dir, cache);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "packer"), later, later);
    expect(await render(dir, cache)).toBe("1.9.4");
    expect(calls(dir)).toBe(2);
  });

  it("never takes the answer for another binary: a replaced one with the same size and mtime, or one elsewhere", async () => {
    const dir = standIn("1.9.4");
    const cache = mkdtempSync(join(tmp, "cache-"));
    expect(await render(dir, cache)).toBe("1.9.4");
    const before = statSync(join(dir, "packer"));
    standIn("1.9.5", dir); // same length, so the same size
    utimesSync(join(dir, "packer"), before.atime, before.mtime);
    expect(statSync(join(dir, "packer")).size).toBe(before.size);
    expect(await render(dir, cache)).toBe("1.9.5");

    const other = standIn("1.11.2");
    expect(await render(other, cache)).toBe("1.11.2");
    expect(calls(other)).toBe(1);
    // Both are remembered.
    expect(await render(dir, cache)).toBe("1.9.5");
    expect(await render(other, cache)).toBe("1.11.2");
    expect(calls(dir) + calls(other)).toBe(3);
  });

  it("asks a version manager's shim (…/shims/packer) every time: its answer depends on the directory", async () => {
    const dir = join(mkdtempSync(join(tmp, "asdf-")), "shims");
    mkdirSync(dir);
    standIn("1.9.4", dir);
    const cache = mkdtempSync(join(tmp, "cache-"));
    await render(dir, cache);
    await render(dir, cache);
    expect(calls(dir)).toBe(2);
  });

  it("works without a usable cache: an unwritable cache directory, or a damaged cache file", async () => {
    const dir = standIn("1.9.4");
    // A regular file where the cache directory would be: nothing can be created under it (not even by root).
    const blocked = join(tmp, "not-a-directory");
    writeFileSync(blocked, "");
    expect(await render(dir, blocked)).toBe("1.9.4");
    expect(await render(dir, blocked)).toBe("1.9.4");
    expect(calls(dir)).toBe(2);

    const damaged = mkdtempSync(join(tmp, "cache-"));
    mkdirSync(join(damaged, "arv-image"));
    writeFileSync(join(damaged, "arv-image", "packer-version.json"), '{"entries": [{"path": 1}');
    expect(await render(dir, damaged)).toBe("1.9.4");
    expect(await render(dir, damaged)).toBe("1.9.4");
    expect(calls(dir)).toBe(3); // the damaged file was replaced by a good one
  });
});
