/** Runs the real, built CLI (node dist/bin.js) as a user would. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = `${REPO}dist/bin.js`;
export const EXAMPLE_KEY = `${REPO}test/fixtures/dispatch.pub`;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], opts);
}

export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const input = opts.input;
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // a child that exits without reading its input
      child.stdin.end(input);
    }
  });
}

/**
 * How arv-image reports an interrupt on stderr: once, naming the signal. (An error the
 * interrupt caused is reported with the interrupt; one that reports it already is not prefixed
 * again: "interrupted (SIGINT): interrupted (SIGINT); …" was a defect.)
 */
export function interruptReports(stderr: string): string[] {
  return stderr.match(/interrupted \((?:SIGINT|SIGTERM|SIGHUP)\)/g) ?? [];
}
