/**
 * runPackerBuild in-process, with a terminal that never finishes a write (a stuck terminal):
 * the status line must not defeat the "falls behind" bound. Packer is the stand-in replaying
 * 200,000 progress lines; nothing here depends on timing.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO } from "../support/cli.js";
import { runPackerBuild } from "../../dist/packer/build-run.js";
import { makeScrubber } from "../../dist/packer/environment.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-run-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it("a terminal that takes nothing: at most the backlog bound is handed to it, status lines included, and the run ends", { timeout: 600_000 }, async () => {
  const T = 1700000000;
  const lines = [`${T},,ui,say,==> b.amazon-ebs.compute: Provisioning with shell script: /x/scripts/10-base.sh`];
  for (let i = 0; i < 200_000; i++) lines.push(`${T + Math.floor(i / 1000)},,ui,message,    b.amazon-ebs.compute: line ${i} of the provisioning output, long enough to add up`);
  lines.push(`${T + 300},,ui,say,Build 'b.amazon-ebs.compute' finished after 5 minutes.`);
  const replay = join(tmp, "long.log");
  writeFileSync(replay, lines.join("\n") + "\n");
  const dir = mkdtempSync(join(tmp, "stand-in-"));
  copyFileSync(join(REPO, "test/support/stand-in-packer/packer"), join(dir, "packer"));
  writeFileSync(join(dir, "scenario"), `REPLAY=${JSON.stringify(replay)}\n`);

  let handed = 0;
  const texts: string[] = [];
  const r = await runPackerBuild({
    packer: { bin: join(dir, "packer"), version: "1.6.6" },
    dir: mkdtempSync(join(tmp, "build-")),
    args: ["build", "-machine-readable", "."],
    env: { PATH: process.env.PATH ?? "" },
    started: new Date(),
    // A terminal whose writes never complete: `written` is never called.
    progress: {
      stderr: (s) => {
        handed += typeof s === "string" ? Buffer.byteLength(s) : s.length;
        texts.push(typeof s === "string" ? s : Buffer.from(s).toString("utf8"));
      },
      tty: { columns: () => 100 },
      color: true,
    },
    scrub: makeScrubber([]),
    debug: false,
    scripts: ["10-base.sh", "20-arvados.sh"],
    onFirst: () => "",
    onRepeat: () => "",
  });
  expect(r.code).toBe(0);
  // The bound is 8 MiB of unwritten view; the view of these lines is ~12 MB.
  expect(handed).toBeLessThanOrEqual(8 * 1024 * 1024 + 64 * 1024);
  const all = texts.join("");
  expect(all).toMatch(/lines of Packer's output left out here: the terminal fell behind/);
  // The breakdown still comes from every line, shown or not.
  expect(r.timings).toEqual([
    { phase: "provisioning", seconds: 300 },
    { phase: "provisioning", script: "10-base.sh", seconds: 300 },
  ]);
});
