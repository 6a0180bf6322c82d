/**
 * What the live view shows of each line (viewOf): Packer's machine-readable lines shown as
 * Packer shows them to people, checked against a real human-mode recording of the same build;
 * and the view's colours (BuildView on a terminal).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BuildView } from "../../dist/packer/build-view.js";
import { viewOf } from "../../dist/packer/live-view.js";
import { parseLine } from "../../dist/packer/machine-readable.js";
import type { PackerLine } from "../../src/packer/machine-readable.js";

const FIXTURES = new URL("../fixtures/packer-output/", import.meta.url);
const rawLines = (name: string): string[] => readFileSync(new URL(name, FIXTURES), "utf8").split("\n").slice(0, -1);
const recording = (name: string): PackerLine[] => rawLines(name).map((l) => parseLine(l) as PackerLine);
const line = (raw: string): PackerLine => {
  const p = parseLine(raw);
  if (!p) throw new Error(`not machine-readable: ${raw}`);
  return p;
};
/** What the view shows of a line, before the build-name prefix is dropped and any colour. */
const humanize = (l: PackerLine): string | undefined => viewOf(l)?.text;
/** What the live view writes for a recording: each shown text plus a newline, as Packer's Ui does. */
const view = (name: string): string =>
  recording(name)
    .map((l) => humanize(l))
    .filter((t): t is string => t !== undefined)
    .map((t) => t + "\n")
    .join("");

const ESC = "\x1b";

describe("viewOf", () => {
  it("shows script output exactly as Packer printed it, build name included", () => {
    const shown = view("null-real.log").split("\n");
    expect(shown).toContain("    arvados-compute.null.compute: Installing arvados-compute, version 3.0.0, with commas");
    expect(shown).toContain("    arvados-compute.null.compute: tab\there");
    expect(shown).toContain("    arvados-compute.null.compute:   indented   spaces");
    expect(humanize(line("1,,ui,message,    arvados-compute.amazon-ebs.compute: 0 upgraded%!(PACKER_COMMA) 12 newly installed"))).toBe(
      "    arvados-compute.amazon-ebs.compute: 0 upgraded, 12 newly installed",
    );
  });

  it("reads like Packer's own output without -machine-readable (real recordings of the same build)", () => {
    // The two runs differ only in timings and temp-file numbers, and stdout/stderr of the
    // script are not ordered relative to each other by Packer; compare sorted lines. The
    // script printed a literal backslash-n, which -machine-readable turns into a newline
    // (Packer does not escape backslashes), so the human recording is read the same way.
    const norm = (text: string) =>
      text
        .split("\n")
        .map((l) => l.replace(/\d+/g, "N"))
        .sort();
    const human = readFileSync(new URL("null-human-real.log", FIXTURES), "utf8");
    expect(human).toContain("a literal backslash-n: a\\nb\n");
    expect(norm(view("null-real.log"))).toEqual(norm(human.replace("a\\nb", "a\nb")));
  });

  it("shows a failing build in full, with the reason last", () => {
    expect(view("failure-exit-1.log").replace(/\/tmp\/packer-shell\d+/, "/tmp/packer-shellN")).toBe(
      [
        "==> arvados-compute.null.compute: Running local shell script: /tmp/packer-shellN",
        "    arvados-compute.null.compute: about to fail, on purpose",
        "==> arvados-compute.null.compute: E: Unable to locate package nvidia-driver",
        "==> arvados-compute.null.compute: Provisioning step had errors: Running the cleanup provisioner, if present...",
        "Build 'arvados-compute.null.compute' errored after 8 milliseconds 935 microseconds: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
        "",
        "==> Wait completed after 9 milliseconds 71 microseconds",
        "",
        "==> Some builds didn't complete successfully and had errors:",
        "--> arvados-compute.null.compute: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
        "",
        "==> Builds finished but no artifacts were created.",
        "",
      ].join("\n"),
    );
  });

  it("flags ui,error lines as errors", () => {
    const kinds = recording("failure-exit-1.log").map((l) => viewOf(l)?.kind);
    expect(kinds).toEqual(["say", "output", "error", "say", "error", "say", undefined, "error", undefined, "error", "say"]);
  });

  it("hides artifact, artifact-count, error, error-count and version lines, which ui lines repeat", () => {
    for (const raw of [
      "1,b.amazon-ebs.c,artifact-count,1",
      "1,b.amazon-ebs.c,artifact,0,id,us-east-1:ami-1",
      "1,b.amazon-ebs.c,artifact,0,end",
      "1,,error-count,1",
      "1,b.amazon-ebs.c,error,Timeout waiting for SSH.",
      "1,,version,1.6.6",
      "1,,version-prelease,",
      "1,,version-commit,",
    ]) {
      expect(humanize(line(raw)), raw).toBeUndefined();
    }
    expect(view("version-real.log")).toBe("Packer v1.6.6\n");
    expect(humanize(line("1,,version-commit,4d8bbf1"))).toBe("Packer commit: 4d8bbf1");
    expect(humanize(line("1,,version-prelease,dev"))).toBe("Packer prerelease: dev");
  });

  it("shows every line of the recordings except those, so nothing is silently lost", () => {
    const hiddenTypes = new Set(["artifact", "artifact-count", "error", "error-count", "version", "version-prelease", "version-commit"]);
    for (const name of ["aws-multi-region-duplicate.log", "azure-managed-and-gallery.log", "gcp-success.log", "two-builds-one-failed-real.log", "interrupted-real.log"]) {
      for (const l of recording(name)) expect(humanize(l) === undefined, l.raw).toBe(hiddenTypes.has(l.type));
    }
  });

  it("shows unknown types and ui kinds as a short tagged line", () => {
    expect(humanize(line("1,,template-variable,region%!(PACKER_COMMA) us,eu"))).toBe("[template-variable] region, us,eu");
    expect(humanize(line("1,b.null.x,hcp-status,uploaded"))).toBe("b.null.x: [hcp-status] uploaded");
    expect(humanize(line("1,,ui,ask,Continue?"))).toBe("[ui ask] Continue?");
    expect(viewOf(line("1,,ui,ask,Continue?"))?.kind).toBe("other");
  });

  it("keeps multi-line text, such as a validate error, whole", () => {
    expect(view("validate-error-real.log")).toBe(
      'Error: Unsupported argument\n\n  on bad.pkr.hcl line 3:\n  (source code not available)\n\nAn argument named "no_such_option" is not expected here.\n\n\n',
    );
  });
});

describe("the view's colours (on a terminal)", () => {
  /** BuildView's text for raw lines, in tty mode. */
  const tty = (raws: string[], color: boolean): string => {
    const v = new BuildView({ mode: "tty", color });
    for (const r of raws) v.line(r, parseLine(r));
    return v.take().text;
  };

  it("adds no escape codes unless asked", () => {
    for (const name of ["null-real.log", "failure-exit-1.log", "aws-success.log", "validate-error-real.log"]) {
      expect(tty(rawLines(name), false)).not.toContain(ESC);
      expect(tty(rawLines(name), true)).toContain(ESC);
    }
  });

  it("says in bold, script output uncoloured, what a script wrote on stderr yellow, failures red, unknown types dim", () => {
    // A build's first line starts its first phase: a cyan line of the view's own.
    const launching = `${ESC}[36m-- launching${ESC}[39m\n`;
    expect(tty(["1,,ui,say,==> b.null.x: Running"], true)).toBe(`${launching}${ESC}[1m==> Running${ESC}[22m\n`);
    expect(tty(["1,,ui,message,    b.null.x: plain"], true)).toBe(`${launching}    plain\n`);
    expect(tty(["1,,ui,error,==> b.null.x: E: oops"], true)).toBe(`${launching}${ESC}[33m==> E: oops${ESC}[39m\n`);
    expect(tty(["1,,ui,error,Build 'b.null.x' errored after 1 second: boom"], true)).toBe(`${ESC}[1;31mBuild 'b.null.x' errored after 1 second: boom${ESC}[22;39m\n`);
    expect(tty(["1,,new-thing,x"], true)).toBe(`${ESC}[2m[new-thing] x${ESC}[22m\n`);
    expect(tty(["1,,artifact-count,1"], true)).toBe("");
  });

  it("colours each line of multi-line text separately and leaves empty lines bare", () => {
    expect(tty(["1,,ui,error,Error: bad\\n\\n  on x.pkr.hcl line 3:\\n"], true)).toBe(`${ESC}[33mError: bad${ESC}[39m\n\n${ESC}[33m  on x.pkr.hcl line 3:${ESC}[39m\n\n`);
  });
});
