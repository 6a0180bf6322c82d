/** Times as arv-image writes them in names and messages. */

/** 20261123093000, or with `sep` 20261123-093000 (UTC). */
export function utcStamp(d: Date, sep = ""): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${sep}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** 4.2 s; 21 min 3 s. */
export function formatElapsed(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s - m * 60)} s` : `${s.toFixed(1)} s`;
}
