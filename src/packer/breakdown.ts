/**
 * How phases.ts's timings are shown: the end-of-run breakdown, durations and line stamps.
 */
import { PHASE_LABEL, type Timing } from "./phases.js";

/** "45s", "4m30s", "1h02m". */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** "[02:05]" or "[1:02:05]": an elapsed time as a line stamp. */
export function clockStamp(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const p = (n: number) => String(n).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}` : `${p(Math.floor(s / 60))}:${p(s % 60)}`;
}

/**
 * The end-of-run breakdown as lines of text: each phase with its duration, each script
 * under provisioning (n/m when known) with its own, the slowest script named.
 */
export function formatBreakdown(timings: readonly Timing[], scripts: readonly string[] = []): string[] {
  if (timings.length === 0) return [];
  const total = timings.filter((t) => t.script === undefined).reduce((sum, t) => sum + t.seconds, 0);
  const named = timings.filter((t) => t.script !== undefined);
  const slowest = named.reduce<Timing | undefined>((a, t) => (a === undefined || t.seconds > a.seconds ? t : a), undefined);
  const several = timings.some((t) => t.build !== undefined);
  const lines = [`where the time went (Packer's timestamps), ${shortDuration(total)} in all:`];
  // One column for the durations, wide enough for the longest label (phases, and scripts two deeper).
  const labelOf = (t: Timing) => {
    if (t.script === undefined) return PHASE_LABEL[t.phase];
    const i = scripts.indexOf(t.script);
    return `  ${i === -1 ? "" : `${i + 1}/${scripts.length} `}${t.script}`;
  };
  const width = Math.max(24, ...timings.map((t) => labelOf(t).length + 1));
  let build: string | undefined;
  for (const t of timings) {
    if (several && t.build !== build) {
      build = t.build;
      lines.push(`  ${build ?? ""}:`);
    }
    const indent = several ? "    " : "  ";
    const mark = t.script !== undefined && t === slowest && named.length > 1 ? "  <- slowest script" : "";
    lines.push(`${indent}${labelOf(t).padEnd(width)}${shortDuration(t.seconds).padStart(7)}${mark}`);
  }
  if (slowest && named.length > 1) lines.push(`slowest script: ${slowest.script ?? ""} (${shortDuration(slowest.seconds)})`);
  return lines;
}
