/**
 * The one way arv-image reads a file the user named (a flag's path, or a path inside a file
 * the user named, like config.yml's DispatchPrivateKey: file://…). A path can name anything:
 * /dev/zero reads forever, a FIFO blocks open() until a writer comes, a directory or a /proc
 * file says nothing useful about its size. So: refuse what is not a regular file before
 * opening it, open with O_NONBLOCK (a FIFO swapped in between the check and the open cannot
 * hang), check again on the open descriptor, and read at most `limit` bytes: a file that
 * grows, or that stat reports as 0 bytes (/proc), is still bounded.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";

export type ReadFileResult = { ok: true; data: Buffer } | { ok: false; problem: string };

/** Limits for what each kind of file can reasonably be. */
export const LIMITS = {
  /** SSH keys, /etc/hosts lines, service-account JSON, secrets files. */
  small: 1024 * 1024,
  /** config.yml and Packer JSON templates. */
  config: 16 * 1024 * 1024,
} as const;

function kindOf(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Why a path cannot be read, as a phrase that fits "…: PHRASE; expected …". */
export function readErrorPhrase(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "not readable (permission denied; run as a user that can read it, or copy it)";
    case "EISDIR":
      return "is a directory, not a regular file";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "the path is too long";
    default:
      return `cannot read it (${typeof code === "string" ? code : "read error"})`;
  }
}

const notRegular = (st: Stats) => {
  const k = kindOf(st);
  return k === undefined ? undefined : `is ${k}, not a regular file`;
};
const tooLarge = (size: number, limit: number) => `is ${size > limit ? `larger than ${limit} bytes` : `${size} bytes`}, too large for what it should hold (at most ${limit} bytes)`;

/**
 * Opens and checks `path` without keeping it open: for files another program reads (a
 * secrets file bash runs, a template Packer reads). Same refusals as readUserFile.
 */
export function checkUserFile(path: string, limit: number): string | undefined {
  const r = readUserFile(path, limit);
  return r.ok ? undefined : r.problem;
}

/** The bytes of a user-named regular file of at most `limit` bytes, or why not. Never blocks, never throws. */
export function readUserFile(path: string, limit: number): ReadFileResult {
  const fail = (problem: string): ReadFileResult => ({ ok: false, problem });
  if (path === "" || path.includes("\0")) return fail("is not a file name");
  try {
    const before = notRegular(statSync(path));
    if (before) return fail(before);
  } catch (e) {
    return fail(readErrorPhrase(e));
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return fail(readErrorPhrase(e));
  }
  try {
    const st = fstatSync(fd);
    const after = notRegular(st);
    if (after) return fail(after);
    if (st.size > limit) return fail(tooLarge(st.size, limit));
    // One byte more than the limit tells "exactly at the limit" from "larger".
    return readBounded(fd, Buffer.alloc(Math.min(limit + 1, st.size + 64 * 1024)), limit);
  } catch (e) {
    return fail(readErrorPhrase(e));
  } finally {
    closeSync(fd);
  }
}

function readBounded(fd: number, buf: Buffer, limit: number): ReadFileResult {
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      if (buf.length > limit) return { ok: false, problem: tooLarge(len, limit) };
      const bigger = Buffer.alloc(Math.min(limit + 1, buf.length * 2));
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const n = readSync(fd, buf, len, buf.length - len, null);
    if (n === 0) return { ok: true, data: buf.subarray(0, len) };
    len += n;
  }
}
