/**
 * user-dirs.ts: `mkdir -p` that always ends, and arv-image's cache home. In-process (pure
 * file-system calls); the CLI's use of them is in test/cli/hostile-values.test.ts.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDir, cacheHome, makeDirs } from "../dist/user-dirs.js";

const dir = mkdtempSync(join(tmpdir(), "arv-image-dirs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("makeDirs", () => {
  it("makes every missing level with the mode asked (the umask aside), and accepts what exists", () => {
    const deep = join(dir, "a", "b", "c");
    makeDirs(deep, 0o700);
    makeDirs(deep, 0o700);
    for (const d of [join(dir, "a"), join(dir, "a", "b"), deep]) expect(statSync(d).mode & 0o777).toBe(0o700 & ~process.umask());
  });

  it("throws where mkdir(2) fails, under /proc too (where Node's recursive mkdir never returns)", () => {
    expect(() => makeDirs("/proc/arv-image-test/x", 0o700)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    writeFileSync(join(dir, "file"), "");
    expect(() => makeDirs(join(dir, "file", "x"), 0o700)).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
  });
});

describe("cacheHome and cacheDir", () => {
  it("follow XDG: an absolute XDG_CACHE_HOME, else ~/.cache; a relative one is ignored", () => {
    expect(cacheHome({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" })).toBe("/x/cache/arv-image");
    expect(cacheHome({ XDG_CACHE_HOME: "rel", HOME: "/home/u" })).toBe("/home/u/.cache/arv-image");
    expect(cacheHome({ HOME: "/home/u" })).toBe("/home/u/.cache/arv-image");
  });

  it("makes the directory private, or gives nothing when it cannot be made", () => {
    const made = cacheDir({ XDG_CACHE_HOME: join(dir, "xdg") }, "node-compile-cache");
    expect(made).toBe(join(dir, "xdg", "arv-image", "node-compile-cache"));
    expect(statSync(made as string).isDirectory()).toBe(true);
    expect(cacheDir({ XDG_CACHE_HOME: "/proc/arv-image-test" }, "x")).toBeUndefined();
  });
});
