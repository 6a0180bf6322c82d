/**
 * Where a bake is and where its time went, read from Packer's own machine-readable lines.
 *
 * Packer says nothing about phases; its builders' steps say what they do ("==> BUILD:
 * Waiting for SSH to become available..."). PHASE_RULES map those step texts (amazon-ebs,
 * azure-arm, googlecompute, and the null builder `provision` uses) to a few phases an
 * operator recognises. A build's phase only moves forward: "Adding tags to AMI" after the
 * copy to other regions stays in the copy, a "Deleting instance..." after a failed SSH
 * wait is cleanup. Durations come from Packer's timestamps (whole seconds), so a replayed
 * recording gives the same numbers as the bake did.
 */
import type { PackerLine } from "./machine-readable.js";

export const PHASES = ["launching", "waiting-for-ssh", "provisioning", "capturing", "copying-to-regions", "cleaning-up", "post-processing"] as const;
export type Phase = (typeof PHASES)[number];

/** What people read. */
export const PHASE_LABEL: Record<Phase, string> = {
  launching: "launching",
  "waiting-for-ssh": "waiting for SSH",
  provisioning: "provisioning",
  capturing: "capturing",
  "copying-to-regions": "copying to regions",
  "cleaning-up": "cleaning up",
  "post-processing": "post-processing",
};

/** One line of the breakdown: a phase's total, or one script's share of provisioning. */
export interface Timing {
  phase: Phase;
  script?: string;
  seconds: number;
  /** Only when the run had several builds. */
  build?: string;
}

type Rule = readonly [RegExp, Phase | ((current: Phase | undefined) => Phase)];

// Step texts as the builders print them (Packer 1.6.6 core, packer-plugin-amazon,
// packer-plugin-azure, packer-plugin-googlecompute); the first matching rule wins.
const PHASE_RULES: readonly Rule[] = [
  [/^Provisioning step had errors/, "cleaning-up"],
  [/^(Provisioning with |Running local shell script|Uploading .* => |Pausing \d|Pausing before)/, "provisioning"],
  [/^(Using (ssh|winrm) communicator to connect|Waiting for (SSH|WinRM) to become available)/i, "waiting-for-ssh"],
  [/^Copying(\/Encrypting)? AMI .*to other regions|^Publishing to Shared Image Gallery/, "copying-to-regions"],
  // googlecompute deletes the instance before it makes the image from its disk; after a
  // failure (no provisioning yet) the same text is cleanup.
  [/^Deleting instance/, (current) => (current === "provisioning" ? "capturing" : "cleaning-up")],
  [
    /^(Stopping the source instance|Waiting for the instance to stop|Creating (unencrypted |encrypted )?AMI|Waiting for AMI to become ready|Querying the machine's properties|Powering off machine|Capturing (image|VHD)|Generalizing|Creating image|Waiting for image)/,
    "capturing",
  ],
  [
    /^(Terminating the source|Cleaning up any extra volumes|Deleting temporary|Removing the created Deployment|Deleting individual resources|Waiting for deletion|Cleanup requested|Resource group has been deleted|Deleting (the )?resource group|Deleting disk|Deleting the source instance)/,
    "cleaning-up",
  ],
  [/^Running post-processor/, "post-processing"],
];

/** The phase a step text starts, or undefined when it continues the current one. */
export function phaseOf(step: string, current: Phase | undefined): Phase | undefined {
  for (const [re, to] of PHASE_RULES) if (re.test(step)) return typeof to === "function" ? to(current) : to;
  return undefined;
}

// "==> BUILD: text" (steps, errors) and "    BUILD: text" (what a script printed) (see
// splitPrefix); build names ("arvados-compute.amazon-ebs.compute", "null.bad") have no
// spaces or colons.
const BUILD_END = /^Build '([^']+)' (finished|errored)/;
const SCRIPT = /^(?:Provisioning with shell script|Running local shell script): (.+)$/;

/** The build a ui text belongs to and the text after its prefix, if it has one. */
export function splitPrefix(text: string): { lead: string; build: string; rest: string } | undefined {
  // By hand rather than PREFIXED.exec: this runs for every line of a long build.
  const lead = text.slice(0, 4);
  if (lead !== "==> " && lead !== "    " && lead !== "--> ") return undefined;
  const colon = text.indexOf(":", 4);
  if (colon <= 4) return undefined;
  const space = text.indexOf(" ", 4);
  if (space !== -1 && space < colon) return undefined;
  const cut = text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
  return { lead, build: text.slice(4, colon), rest: text.slice(cut) };
}

interface Segment {
  phase: Phase;
  script: string | undefined;
  start: number;
  end: number | undefined;
}

interface BuildState {
  name: string;
  phase: Phase | undefined;
  script: { name: string; n: number | undefined } | undefined;
  scriptsSeen: number;
  segments: Segment[];
  ended: boolean;
  /** Packer's timestamp of the current phase's start. */
  phaseStart: number;
}

/** What a status line shows for one build. */
export interface BuildStatus {
  build: string;
  phase: Phase | undefined;
  /** Packer's timestamp (unix seconds) of the phase's start. */
  phaseSince: number;
  script?: { name: string; n?: number; m?: number };
  ended: boolean;
}

/** A change worth telling: a new phase or a new script. */
export interface PhaseChange {
  build: string;
  phase: Phase;
  script?: { name: string; n?: number; m?: number };
  /** Packer's timestamp. */
  at: number;
}

/**
 * Fed every parsed line (already scrubbed), in order; keeps per build its phase, its
 * script, and the segments of time between Packer's timestamps. `scripts` is the list of
 * the build directory's provisioning scripts (their file names), for `n/m`.
 */
export class PhaseTracker {
  readonly #scripts: readonly string[];
  readonly #builds = new Map<string, BuildState>();
  #first: number | undefined;
  #last: number | undefined;
  /** Every build seen has a phase (see add()). */
  #allPhased = false;

  constructor(scripts: readonly string[] = []) {
    this.#scripts = scripts;
  }

  /** Packer's timestamp of the first line, and of the last. */
  get first(): number | undefined {
    return this.#first;
  }

  get last(): number | undefined {
    return this.#last;
  }

  /** How many builds were seen so far. */
  get buildCount(): number {
    return this.#builds.size;
  }

  /** Build names seen so far, in order. */
  get builds(): string[] {
    return [...this.#builds.keys()];
  }

  add(line: PackerLine): PhaseChange | undefined {
    if (!Number.isFinite(line.timestamp)) return undefined;
    const ts = line.timestamp;
    this.#first ??= ts;
    // Packer's lines come in order; a clock step back must not make negative durations.
    this.#last = Math.max(this.#last ?? ts, ts);
    const at = this.#last;
    if (line.type !== "ui") return undefined;
    const kind = line.data[0];
    // What a script prints ("message") never moves a phase once every build has one: the
    // common case of a long build, kept cheap.
    if (kind === "message" && this.#allPhased) return undefined;
    const text = line.data.length === 2 ? (line.data[1] as string) : line.data.slice(1).join(",");
    const end = BUILD_END.exec(text);
    if (end) {
      this.#end(end[1] as string, at);
      return undefined;
    }
    if (text.startsWith("Cancelling build after receiving interrupt")) {
      let change: PhaseChange | undefined;
      for (const b of this.#builds.values()) if (!b.ended) change = this.#enter(b, "cleaning-up", undefined, at) ?? change;
      return change;
    }
    const p = splitPrefix(text);
    if (!p) return undefined;
    const b = this.#build(p.build);
    if (b.ended) return undefined;
    // Only steps move the phase: what a script prints ("    BUILD: …") never does.
    if (kind !== "say" || p.lead !== "==> ") {
      if (b.phase === undefined) return this.#enter(b, "launching", undefined, at);
      return undefined;
    }
    const step = p.rest.split("\n", 1)[0] as string;
    let next = phaseOf(step, b.phase);
    // Phases go forward only (see the top of this file).
    if (next !== undefined && b.phase !== undefined && PHASES.indexOf(next) < PHASES.indexOf(b.phase)) next = undefined;
    const phase = next ?? b.phase ?? "launching";
    if (phase === "provisioning" && next === "provisioning") {
      // Each provisioner step: a known script (n/m), or an unnamed one (inline commands, uploads).
      const path = SCRIPT.exec(step)?.[1];
      const base = path === undefined ? undefined : (path.split("/").pop() as string);
      // Inline commands run from a temporary file (packer-shell123…): no script of the build's.
      const named = base !== undefined && !/^packer-shell\d+$/.test(base) && (this.#scripts.length === 0 || this.#scripts.includes(base));
      return this.#enter(b, phase, named ? base : undefined, at);
    }
    return this.#enter(b, phase, phase === b.phase ? b.script?.name : undefined, at);
  }

  /** Ends every open segment at the last timestamp (Packer exited). */
  finish(): void {
    if (this.#last === undefined) return;
    for (const b of this.#builds.values()) this.#end(b.name, this.#last);
  }

  status(): BuildStatus[] {
    return [...this.#builds.values()].map((b) => ({
      build: b.name,
      phase: b.phase,
      phaseSince: b.phaseStart,
      ...(b.script ? { script: this.#scriptInfo(b.script) } : {}),
      ended: b.ended,
    }));
  }

  /**
   * Where the time went: per build, each phase (in the order first entered) with its total,
   * each script (after its phase) with its own. Open segments count up to the last line.
   */
  timings(): Timing[] {
    const several = this.#builds.size > 1;
    const out: Timing[] = [];
    for (const b of this.#builds.values()) {
      const phases = new Map<Phase, number>();
      const scripts = new Map<string, { phase: Phase; seconds: number }>();
      for (const s of b.segments) {
        const seconds = (s.end ?? this.#last ?? s.start) - s.start;
        phases.set(s.phase, (phases.get(s.phase) ?? 0) + seconds);
        if (s.script !== undefined) {
          const prev = scripts.get(s.script);
          scripts.set(s.script, { phase: s.phase, seconds: (prev?.seconds ?? 0) + seconds });
        }
      }
      for (const [phase, seconds] of phases) {
        out.push({ phase, seconds, ...(several ? { build: b.name } : {}) });
        for (const [script, t] of scripts) if (t.phase === phase) out.push({ phase, script, seconds: t.seconds, ...(several ? { build: b.name } : {}) });
      }
    }
    return out;
  }

  /** n/m of a script: its place among the build directory's scripts, else the order seen. */
  #scriptInfo(s: { name: string; n: number | undefined }): { name: string; n?: number; m?: number } {
    return s.n === undefined ? { name: s.name } : { name: s.name, n: s.n, ...(this.#scripts.length > 0 ? { m: this.#scripts.length } : {}) };
  }

  #build(name: string): BuildState {
    let b = this.#builds.get(name);
    if (!b) {
      b = { name, phase: undefined, script: undefined, scriptsSeen: 0, segments: [], ended: false, phaseStart: this.#last ?? 0 };
      this.#builds.set(name, b);
      this.#allPhased = false;
    }
    return b;
  }

  #enter(b: BuildState, phase: Phase, script: string | undefined, at: number): PhaseChange | undefined {
    if (phase === b.phase && script === b.script?.name) return undefined;
    const open = b.segments.at(-1);
    if (open && open.end === undefined) open.end = at;
    b.segments.push({ phase, script, start: at, end: undefined });
    if (phase !== b.phase) b.phaseStart = at;
    b.phase = phase;
    this.#allPhased = [...this.#builds.values()].every((x) => x.phase !== undefined);
    if (script === undefined) b.script = undefined;
    else {
      const i = this.#scripts.indexOf(script);
      const known = i !== -1 || this.#scripts.length === 0;
      if (known) b.scriptsSeen++;
      b.script = { name: script, n: i !== -1 ? i + 1 : this.#scripts.length === 0 ? b.scriptsSeen : undefined };
    }
    return { build: b.name, phase, ...(b.script ? { script: this.#scriptInfo(b.script) } : {}), at };
  }

  #end(name: string, at: number): void {
    const b = this.#builds.get(name);
    if (!b || b.ended) return;
    const open = b.segments.at(-1);
    if (open && open.end === undefined) open.end = at;
    b.ended = true;
    b.script = undefined;
  }
}
