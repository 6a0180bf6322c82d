/**
 * The fast path of the live view: runs of plain progress lines, which are nearly all of a
 * build's output, turned into their view bytes without decoding them to text.
 *
 * A plain progress line is `^\d{1,15},[^,\n]*,ui,(say|message),TEXT` with no CR byte; its
 * view is TEXT with Packer's escapes undone left to right ("%!(PACKER_COMMA)" → ",",
 * backslash-n → LF, backslash-r → CR), then a newline: exactly what parseLine and humanize
 * give without colour (test/packer/stream.test.ts holds them equal, for both scanners).
 *
 * Two scanners do the same: scan.wat, assembled to WebAssembly (16 bytes at a time where no
 * escape or line end is near; about five times faster than the JavaScript), and
 * scanPlainJs, used where WebAssembly is not available (node --jitless).
 */
import { SCAN_WASM_BASE64 } from "./scan-wasm.js";

export interface PlainScanner {
  /**
   * Writes into `out` at `at` the view of the lines of `src` from `pos` (each ends at a
   * newline or at the end of `src`) for as long as they are plain progress lines, and
   * returns where the view ends in `out`. `out` has room for `src.length - pos + 1` bytes
   * from `at` (a view is never longer than its lines). Then `stop` is the start of the
   * first line that is not plain, or -1 when every line was.
   */
  scan(src: Buffer, pos: number, out: Buffer, at: number): number;
  readonly stop: number;
}

export const jsScanner: PlainScanner = {
  scan: (src, pos, out, at) => scanPlainJs(src, pos, out, at),
  get stop() {
    return scanStop;
  },
};

let wasm: PlainScanner | null | undefined;

/** The WebAssembly scanner, or undefined where WebAssembly is not available. */
export function wasmScanner(): PlainScanner | undefined {
  if (wasm === undefined) {
    try {
      wasm = makeWasmScanner();
    } catch {
      wasm = null;
    }
  }
  return wasm ?? undefined;
}

/** The fastest scanner this Node has. */
export function plainScanner(): PlainScanner {
  return wasmScanner() ?? jsScanner;
}

// The little of the WebAssembly API used here (@types/node 20 does not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};
interface ScanExports {
  memory: { buffer: ArrayBuffer; grow: (pages: number) => number };
  stop: { value: number };
  scan: (pos: number, end: number, out: number) => number;
}

function makeWasmScanner(): PlainScanner {
  const module = new WebAssembly.Module(Buffer.from(SCAN_WASM_BASE64, "base64"));
  const { memory, stop, scan } = new WebAssembly.Instance(module, {}).exports as ScanExports;
  let bytes = new Uint8Array(memory.buffer);
  // The last `src` copied in: one block is scanned in several calls when it holds lines
  // that are not plain, and is copied once.
  let loaded: Buffer | undefined;
  return {
    scan(src, pos, out, at) {
      const n = src.length;
      // Input at [0, n), output after it; the scanner's 16-byte stores may run 16 bytes past the view.
      const outBase = n + 16;
      const need = outBase + n + 1 + 16;
      if (need > memory.buffer.byteLength) {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        bytes = new Uint8Array(memory.buffer);
        loaded = undefined;
      }
      if (pos === 0 || loaded !== src) {
        bytes.set(src, 0);
        loaded = src;
      }
      const end = scan(pos, n, outBase);
      out.set(bytes.subarray(outBase, end), at);
      return at + (end - outBase);
    },
    get stop() {
      return stop.value;
    },
  };
}

// Where scanPlain stopped: the start of a line that is not plain progress, or -1 at the end.
let scanStop = -1;

/**
 * PlainScanner.scan in JavaScript, byte by byte. (Reading past the end of `src` gives
 * undefined, which matches no byte.)
 *
 * Shaped for V8: the loop is optimised while it runs (on-stack replacement), before any
 * code after it has run, and such code would have no type feedback and deoptimise the
 * function every time it is reached. So every exit is a `return` from inside the loop,
 * after comparisons the loop makes on every line, and the result travels in a module
 * variable rather than an object's properties.
 */
function scanPlainJs(src: Buffer, pos: number, out: Buffer, written: number): number {
  const end = src.length;
  let o = written;
  for (;;) {
    scanStop = pos;
    let i = pos;
    let b = 0;
    while (i < end && (b = src[i] as number) >= 0x30 && b <= 0x39) i++;
    if (i === pos || i - pos > 15 || i >= end || b !== 0x2c) return o;
    i++;
    while (i < end && (b = src[i] as number) !== 0x2c && b !== 0x0a) i++;
    if (b !== 0x2c || src[i + 1] !== 0x75 || src[i + 2] !== 0x69 || src[i + 3] !== 0x2c) return o;
    i += 4;
    if (src[i] === 0x73 && src[i + 1] === 0x61 && src[i + 2] === 0x79 && src[i + 3] === 0x2c) i += 4;
    else if (src[i] === 0x6d && src[i + 1] === 0x65 && src[i + 2] === 0x73 && src[i + 3] === 0x73 && src[i + 4] === 0x61 && src[i + 5] === 0x67 && src[i + 6] === 0x65 && src[i + 7] === 0x2c) i += 8;
    else return o;
    const lineOut = o;
    while (i < end) {
      b = src[i] as number;
      // Most bytes are none of LF, CR, "%" and backslash: two comparisons for them.
      if (b > 0x25 ? b !== 0x5c : b !== 0x25 && b !== 0x0a && b !== 0x0d) {
        out[o++] = b;
        i++;
      } else if (b === 0x0a) {
        break;
      } else if (b === 0x25 && isPackerComma(src, i)) {
        out[o++] = 0x2c;
        i += 16;
      } else if (b === 0x5c && i + 1 < end && (src[i + 1] === 0x6e || src[i + 1] === 0x72)) {
        out[o++] = src[i + 1] === 0x6e ? 0x0a : 0x0d;
        i += 2;
      } else if (b === 0x0d) {
        return lineOut;
      } else {
        out[o++] = b;
        i++;
      }
    }
    out[o++] = 0x0a;
    if (i >= end) {
      scanStop = -1;
      return o;
    }
    pos = i + 1;
  }
}

// "%!(PACKER_COMMA)" at src[i] (the caller checked the "%").
function isPackerComma(src: Buffer, i: number): boolean {
  return (
    src[i + 1] === 0x21 &&
    src[i + 2] === 0x28 &&
    src[i + 3] === 0x50 &&
    src[i + 4] === 0x41 &&
    src[i + 5] === 0x43 &&
    src[i + 6] === 0x4b &&
    src[i + 7] === 0x45 &&
    src[i + 8] === 0x52 &&
    src[i + 9] === 0x5f &&
    src[i + 10] === 0x43 &&
    src[i + 11] === 0x4f &&
    src[i + 12] === 0x4d &&
    src[i + 13] === 0x4d &&
    src[i + 14] === 0x41 &&
    src[i + 15] === 0x29
  );
}
