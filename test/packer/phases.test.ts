/**
 * The phase model against the recorded Packer outputs (test/fixtures/packer-output): which
 * phases a bake goes through, which script runs (n/m), and durations that equal what the
 * recording's own timestamps give, computed here independently: for each recording, the
 * step texts where each phase starts are listed by hand and their timestamps read from the file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";
import { parseLine } from "../../dist/packer/machine-readable.js";
import { formatBreakdown } from "../../dist/packer/breakdown.js";
import { phaseOf, PhaseTracker, type Phase, type Timing } from "../../dist/packer/phases.js";

const FIXTURES = join(REPO, "test/fixtures/packer-output");
const SCRIPTS = ["10-base.sh", "20-arvados.sh", "40-docker.sh"];

function lines(name: string): string[] {
  return readFileSync(join(FIXTURES, name), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

function track(name: string, scripts: string[] = SCRIPTS): PhaseTracker {
  const t = new PhaseTracker(scripts);
  for (const l of lines(name)) {
    const p = parseLine(l);
    if (p) t.add(p);
  }
  t.finish();
  return t;
}

/** The timestamp of the first line of a recording that contains `text`. */
function tsOf(name: string, text: string): number {
  const l = lines(name).find((x) => x.includes(text));
  if (l === undefined) throw new Error(`${name}: no line with ${text}`);
  return Number(l.slice(0, l.indexOf(",")));
}

/** Expected timings from boundaries: [phase, script, the text of the line that starts it]; the last entry's text ends the run. */
function expected(name: string, bounds: [Phase | "end", string | undefined, string][]): Timing[] {
  const segs = bounds
    .slice(0, -1)
    .map(([phase, script, text], i) => ({ phase: phase as Phase, script, seconds: tsOf(name, (bounds[i + 1] as [string, string, string])[2]) - tsOf(name, text) }));
  const out: Timing[] = [];
  for (const phase of [...new Set(segs.map((s) => s.phase))]) {
    out.push({ phase, seconds: segs.filter((s) => s.phase === phase).reduce((a, s) => a + s.seconds, 0) });
    for (const s of segs) if (s.phase === phase && s.script !== undefined) out.push({ phase, script: s.script, seconds: s.seconds });
  }
  return out;
}

describe("phases from the recordings", () => {
  it("amazon-ebs: launching, waiting for SSH, two scripts, capturing, cleaning up", () => {
    const f = "aws-success.log";
    expect(track(f).timings()).toEqual(
      expected(f, [
        ["launching", undefined, "Prevalidating any provided VPC"],
        ["waiting-for-ssh", undefined, "Using ssh communicator"],
        ["provisioning", "10-base.sh", "scripts/10-base.sh"],
        ["provisioning", "20-arvados.sh", "scripts/20-arvados.sh"],
        ["capturing", undefined, "Stopping the source instance"],
        ["cleaning-up", undefined, "Terminating the source AWS instance"],
        ["end", undefined, "Build 'arvados-compute.amazon-ebs.compute' finished"],
      ]),
    );
  });

  it("amazon-ebs with ami_regions: the copy is its own phase, and tagging after it stays in it", () => {
    const f = "aws-multi-region-duplicate.log";
    const t = track(f).timings();
    expect(t).toEqual(
      expected(f, [
        ["launching", undefined, "Prevalidating any provided VPC"],
        ["waiting-for-ssh", undefined, "Using ssh communicator"],
        ["provisioning", "10-base.sh", "scripts/10-base.sh"],
        ["provisioning", "20-arvados.sh", "scripts/20-arvados.sh"],
        ["capturing", undefined, "Stopping the source instance"],
        ["copying-to-regions", undefined, "to other regions"],
        ["cleaning-up", undefined, "Terminating the source AWS instance"],
        ["post-processing", undefined, "Running post-processor"],
        ["end", undefined, "Build 'arvados-compute.amazon-ebs.compute' finished"],
      ]),
    );
    expect(t.find((x) => x.phase === "copying-to-regions")?.seconds).toBe(300);
  });

  it("azure-arm: deployment is launching; powering off and capturing; deleting the resource group is cleanup", () => {
    const f = "azure-success.log";
    expect(track(f).timings()).toEqual(
      expected(f, [
        ["launching", undefined, "Running builder"],
        ["waiting-for-ssh", undefined, "Waiting for SSH to become available"],
        ["provisioning", "10-base.sh", "scripts/10-base.sh"],
        ["capturing", undefined, "Querying the machine's properties"],
        ["cleaning-up", undefined, "Removing the created Deployment"],
        ["end", undefined, "Build 'arvados-compute.azure-arm.compute' finished"],
      ]),
    );
  });

  it("googlecompute: deleting the instance after provisioning is part of capturing, deleting the disk is cleanup", () => {
    const f = "gcp-success.log";
    expect(track(f).timings()).toEqual(
      expected(f, [
        ["launching", undefined, "Checking image does not exist"],
        ["waiting-for-ssh", undefined, "Using ssh communicator"],
        ["provisioning", "10-base.sh", "scripts/10-base.sh"],
        ["capturing", undefined, "Deleting instance"],
        ["cleaning-up", undefined, "Deleting disk"],
        ["end", undefined, "Build 'arvados-compute.googlecompute.compute' finished"],
      ]),
    );
  });

  it("null builder over SSH (provision), real Packer 1.6.6: waiting for SSH until the build errors", () => {
    const f = "null-ssh-timeout-real.log";
    const t = track(f);
    expect(t.timings()).toEqual([{ phase: "waiting-for-ssh", seconds: 3 }]);
    expect(t.status()).toEqual([expect.objectContaining({ build: "arvados-compute.null.compute", phase: "waiting-for-ssh", ended: true })]);
  });

  it("null builder with shell-local (real Packer 1.6.6): provisioning, an unnamed script", () => {
    const t = track("null-real.log");
    expect(t.timings()).toEqual([{ phase: "provisioning", seconds: 0 }]);
  });

  it("a failed provisioning script: cleanup follows, the failed build ends the timings", () => {
    const t = track("failure-exit-1.log");
    expect(t.timings().map((x) => x.phase)).toEqual(["provisioning", "cleaning-up"]);
  });

  it("an interrupt turns every running build to cleaning up", () => {
    const t = new PhaseTracker(SCRIPTS);
    for (const l of lines("interrupted-real.log")) {
      const p = parseLine(l);
      if (p) t.add(p);
    }
    expect(t.status()[0]).toMatchObject({ phase: "cleaning-up" });
    t.finish();
    expect(t.timings()).toEqual([
      { phase: "provisioning", seconds: 1 },
      { phase: "cleaning-up", seconds: 0 },
    ]);
  });

  it("two builds are tracked apart, each timing names its build", () => {
    const t = track("two-builds-one-failed-real.log");
    expect(t.builds).toEqual(["null.bad", "null.good"]);
    expect(new Set(t.timings().map((x) => x.build))).toEqual(new Set(["null.bad", "null.good"]));
  });
});

describe("scripts as n/m", () => {
  it("numbers a script by its place among the build directory's scripts, whatever ran before it", () => {
    const t = new PhaseTracker(["10-base.sh", "20-arvados.sh", "40-docker.sh", "99-hygiene.sh"]);
    const say = (ts: number, text: string) => t.add({ timestamp: ts, target: "", type: "ui", data: ["say", `==> b.amazon-ebs.compute: ${text}`], raw: "" });
    say(1, "Launching a source AWS instance...");
    say(2, "Provisioning with shell script: /tmp/packer-shell123");
    expect(t.status()[0]).toMatchObject({ phase: "provisioning" });
    expect(t.status()[0]?.script).toBeUndefined();
    say(3, "Provisioning with shell script: /home/me/build/scripts/40-docker.sh");
    expect(t.status()[0]?.script).toEqual({ name: "40-docker.sh", n: 3, m: 4 });
    // What a script prints never moves the phase, even when it reads like a step.
    t.add({ timestamp: 4, target: "", type: "ui", data: ["message", "    b.amazon-ebs.compute: Creating image..."], raw: "" });
    expect(t.status()[0]).toMatchObject({ phase: "provisioning" });
  });

  it("the step rules go forward only", () => {
    expect(phaseOf("Deleting instance...", "provisioning")).toBe("capturing");
    expect(phaseOf("Deleting instance...", "waiting-for-ssh")).toBe("cleaning-up");
    expect(phaseOf("Adding tags to source instance", "launching")).toBeUndefined();
  });
});

describe("the breakdown", () => {
  it("lists each phase and script with its duration and names the slowest script", () => {
    const t = track("aws-success.log", ["10-base.sh", "20-arvados.sh"]);
    const text = formatBreakdown(t.timings(), ["10-base.sh", "20-arvados.sh"]).join("\n");
    expect(text).toMatch(/7m14s in all/);
    expect(text).toMatch(/launching +29s/);
    expect(text).toMatch(/1\/2 10-base\.sh +30s/);
    expect(text).toMatch(/2\/2 20-arvados\.sh +1m00s +<- slowest script/);
    expect(text).toMatch(/capturing +4m30s/);
    expect(text).toContain("slowest script: 20-arvados.sh (1m00s)");
  });

  it("ends every duration in one column, however long a script's name (nine scripts and more: n/m takes room)", () => {
    const scripts = ["10-base.sh", "60-encrypted-tmp.sh", "90-check-contract.sh", "95-a-site-script-with-a-long-name.sh"];
    const timings = [
      { phase: "launching" as const, seconds: 29 },
      { phase: "provisioning" as const, seconds: 700 },
      ...scripts.map((script, i) => ({ phase: "provisioning" as const, script, seconds: 10 ** i })),
      { phase: "capturing" as const, seconds: 3700 },
    ];
    for (const list of [scripts, [...scripts, ...Array.from({ length: 8 }, (_, i) => `x${i}.sh`)]]) {
      const rows = formatBreakdown(timings, list).filter((l) => /\d+[smh]( |$)/.test(l) && !l.startsWith("where") && !l.startsWith("slowest"));
      expect(rows).toHaveLength(timings.length);
      const ends = rows.map((l) => l.replace(/ {2}<- slowest script$/, "").length);
      expect(new Set(ends), rows.join("\n")).toHaveLength(1);
    }
  });
});
