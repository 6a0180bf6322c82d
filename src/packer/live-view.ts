/**
 * What the live view (build-view.ts) shows of each `packer build -machine-readable` line.
 * Packer's own text is shown as Packer would print it without -machine-readable: its ui
 * lines already carry the build name ("==> arvados-compute.amazon-ebs.compute: …" for
 * steps, four spaces and the name for script output).
 */
import type { PackerLine } from "./machine-readable.js";

/** say: a Packer step; output: what a provisioning script printed; error: stderr and errors; other: anything else. */
export type ViewKind = "say" | "output" | "error" | "other";

export interface ViewLine {
  kind: ViewKind;
  text: string;
}

/**
 * What the live view shows for a line, before any colour, or undefined for nothing.
 * Hidden lines are those whose content Packer repeats in a ui line anyway.
 */
export function viewOf(line: PackerLine): ViewLine | undefined {
  const { type, data } = line;
  switch (type) {
    case "ui": {
      const kind = data[0] ?? "";
      // Packer writes one text item; join in case a producer did not escape its commas.
      const text = data.length === 2 ? (data[1] as string) : data.slice(1).join(",");
      if (kind === "say") return { kind: "say", text };
      if (kind === "message") return { kind: "output", text };
      if (kind === "error") return { kind: "error", text };
      return { kind: "other", text: `[ui ${kind}] ${text}` };
    }
    // Results are printed at the end; Packer also says "--> <build>: <artifact text>".
    case "artifact":
    case "artifact-count":
      return undefined;
    // Packer 1.6.6+ follows each with a ui,error line ("--> <build>: <error>", "Some builds didn't complete…").
    case "error":
    case "error-count":
      return undefined;
    // `packer -machine-readable version` also says "Packer v1.6.6"; these add only non-empty details.
    case "version":
      return undefined;
    case "version-prelease":
    case "version-commit": {
      const value = data.join(",");
      return value === "" ? undefined : { kind: "other", text: `Packer ${type === "version-commit" ? "commit" : "prerelease"}: ${value}` };
    }
    default:
      // Not silently lost: a type this code does not know (a newer Packer, a plugin) is shown short.
      return { kind: "other", text: `${line.target === "" ? "" : `${line.target}: `}[${type}] ${data.join(",")}` };
  }
}
