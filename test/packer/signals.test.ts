/**
 * What arv-image's interrupt handling rests on, held against real Packer (Debian's 1.6.6,
 * offline: a null builder whose shell-local provisioner waits): Packer cancels and prints
 * "Cleanly cancelled builds after being interrupted." on SIGINT and SIGTERM, the line
 * arv-image takes as proof of its cleanup (packer/build-run.ts); on SIGHUP it dies at once
 * and says nothing, which is why arv-image passes a SIGHUP on as SIGINT (packer/run.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool, packerEnv } from "../support/tools.js";

let tmp: string;
beforeAll(async () => {
  await requireTool("packer", ["version"]);
  tmp = mkdtempSync(join(tmpdir(), "arv-image-packer-signals-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function interruptedPacker(sig: NodeJS.Signals): Promise<{ stdout: string; code: number | null; signal: NodeJS.Signals | null }> {
  const dir = mkdtempSync(join(tmp, "p-"));
  writeFileSync(
    join(dir, "t.pkr.hcl"),
    `source "null" "x" {\n  communicator = "none"\n}\nbuild {\n  sources = ["source.null.x"]\n  provisioner "shell-local" {\n    inline = ["trap '' INT TERM", "touch ${dir}/started", "sleep 600"]\n  }\n}\n`,
  );
  // The signal goes to the whole group, as a terminal's Ctrl-C does. A local script that died of
  // it first would end the build as failed before Packer handled the interrupt (a race; seen once
  // in CI): the script ignores INT and TERM, so what is tested is Packer's own handling (it then
  // leaves the script behind, which the SIGKILL of the group below ends). arv-image's builds run
  // their scripts over SSH, outside the group.
  // Its own process group, as arv-image starts it; the signal goes to the group.
  const child = spawn("packer", ["build", "-machine-readable", "."], { cwd: dir, env: packerEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.resume();
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on("exit", (c, s) => r([c, s])));
  const closed = new Promise<void>((r) => child.on("close", () => r()));
  // The event: the provisioner's sleep runs (a signal while `touch` still ran would be
  // deferred by sh until touch exited, and then sh would go on to the sleep).
  const sleeping = () => existsSync(join(dir, "started")) && spawnSync("pgrep", ["-g", String(child.pid), "-x", "sleep"]).status === 0;
  while (!sleeping() && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
  process.kill(-(child.pid as number), sig);
  const [code, signal] = await exited;
  // Nothing of the group outlives Packer: the script it leaves behind (which ignores INT and
  // TERM) holds a copy of Packer's stdout, so its end is awaited only once that is gone.
  try {
    process.kill(-(child.pid as number), "SIGKILL");
  } catch {
    /* gone */
  }
  await closed;
  return { stdout, code, signal };
}

describe("real Packer 1.6.6 and signals", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("%s: Packer cancels the build and says so", async (sig) => {
    const r = await interruptedPacker(sig);
    expect(r.stdout).toContain("Cleanly cancelled builds after being interrupted.");
    // Its exit status is no guide: after SIGTERM, 1.6.6 exits 1 or (panicwrap's parent) 0.
    // arv-image's own exit code after an interrupt comes from the signal (143), never from Packer.
  });

  it("SIGHUP: Packer dies without cancelling anything (no cleanup, nothing said)", async () => {
    const r = await interruptedPacker("SIGHUP");
    expect(r.stdout).toContain("Running local shell script"); // it was mid-build
    expect(r.stdout).not.toContain("Cancelling build");
    expect(r.stdout).not.toContain("Cleanly cancelled");
  });
});
