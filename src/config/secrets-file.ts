/**
 * build.sh `source`d its secrets files, so a line in them could override any flag and
 * their values leaked into its own environment. arv-image runs the file with bash in a
 * separate process with an empty environment and keeps only what it exports. The
 * file's own output is discarded unseen: it may echo a secret.
 */
import { execFile } from "node:child_process";

/** Variables bash itself exports into an empty environment. */
const BASH_OWN = new Set(["PWD", "OLDPWD", "SHLVL", "_"]);

// fd 3 carries `env -0` back; the file's stdout and stderr go to /dev/null.
const RUNNER = 'exec 3>&1 >/dev/null 2>&1 </dev/null; . "$1" || exit $?; command -p env -0 >&3';

export type SecretsResult = { ok: true; env: Record<string, string> } | { ok: false; problem: string };

export function runSecretsFile(path: string): Promise<SecretsResult> {
  return new Promise((resolve) => {
    execFile(
      "/bin/bash",
      ["--noprofile", "--norc", "-c", RUNNER, "arv-image-secrets", path],
      { env: {}, encoding: "utf8", maxBuffer: 4 * 1024 * 1024, timeout: 30_000 },
      (err, stdout) => {
        if (err) {
          const code = typeof err.code === "number" ? `exited with status ${err.code}` : err.killed ? "timed out after 30 s" : "could not run";
          resolve({
            ok: false,
            problem: `bash ${code} while running it (its output is not shown because it may contain secrets; check it with: bash -n FILE, then bash -c '. FILE')`,
          });
          return;
        }
        const env: Record<string, string> = {};
        for (const entry of stdout.split("\0")) {
          const eq = entry.indexOf("=");
          if (eq <= 0) continue;
          const name = entry.slice(0, eq);
          if (!BASH_OWN.has(name)) env[name] = entry.slice(eq + 1);
        }
        resolve({ ok: true, env });
      },
    );
  });
}
