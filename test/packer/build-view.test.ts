/** The live view's lines (src/packer/build-view.ts), in-process, from the recorded outputs. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";
import { BuildView } from "../../dist/packer/build-view.js";
import { parseLine } from "../../dist/packer/machine-readable.js";

const FIXTURES = join(REPO, "test/fixtures/packer-output");
const lines = (name: string) =>
  readFileSync(join(FIXTURES, name), "utf8")
    .split("\n")
    .filter((l) => l !== "");

describe("BuildView", () => {
  it("drops the build name while there is one build, keeps it when there are two", () => {
    const one = new BuildView({ mode: "tty" });
    for (const l of lines("aws-success.log")) one.line(l, parseLine(l));
    expect(one.take().text).not.toContain("arvados-compute.amazon-ebs.compute: ");
    const two = new BuildView({ mode: "tty" });
    for (const l of lines("two-builds-one-failed-real.log")) two.line(l, parseLine(l));
    const text = two.take().text;
    expect(text).toContain("    null.good: building good");
    expect(two.statusLine(Date.now(), 1, 200)).toMatch(/^▶ null\.bad: done · null\.good: done · 1s in all$/);
  });

  it("fits the status line in the terminal's width", () => {
    const v = new BuildView({ mode: "tty", scripts: ["10-base.sh", "20-arvados.sh"] });
    for (const l of lines("aws-success.log").slice(0, 18)) v.line(l, parseLine(l));
    expect(v.statusLine(Date.now(), 5, 100)).toMatch(/^▶ provisioning 1\/2 10-base\.sh \(\d+s\) · 5s in all$/);
    expect([...v.statusLine(Date.now(), 5, 20)]).toHaveLength(17);
  });

  it("json: every Packer line an event, with the build apart from the text", async () => {
    const { jsonEventLog } = await import("../../dist/events.js");
    const v = new BuildView({ mode: "json", events: await jsonEventLog("info"), scripts: ["10-base.sh"] });
    for (const l of lines("gcp-success.log")) v.line(l, parseLine(l));
    v.finish();
    const events = v
      .take()
      .text.split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ type: "packer", kind: "say", build: "arvados-compute.googlecompute.compute", msg: "Creating image..." }));
    expect(events).toContainEqual(expect.objectContaining({ type: "phase", phase: "provisioning", script: "10-base.sh", n: 1, m: 1 }));
    expect(events.at(-1)).toMatchObject({ type: "timings" });
  });
});
