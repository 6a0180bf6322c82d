// @ts-check
/**
 * A static HTTP server for the e2e mirror (scripts/e2e/apt-repo.mjs builds it; README.md next to
 * this file says what it serves): GET and HEAD of files, with Last-Modified/If-Modified-Since
 * (apt sends it on a second `apt-get update`) and single byte ranges (apt resumes partial
 * downloads with Range), and a log of every request.
 *
 * In-process:  const m = await startMirror({ dir }); ... m.url, m.requests; await m.close();
 * Standalone:  node server.mjs --dir DIR [--port 0] [--host 127.0.0.1] [--log requests.jsonl]
 *              prints {"port":N,"url":"http://127.0.0.1:N"} once listening; SIGTERM/SIGINT close it.
 *
 * mirrorUrls(base) gives, for each of arv-image's download settings (the keys of URLS in
 * src/releases/versions.ts), the URL that points at this mirror; mirrorArgs(base) the matching
 * `--mirror NAME=URL` arguments.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * @typedef {object} RequestLogEntry
 * @property {string} time ISO 8601, when the request arrived
 * @property {string} method
 * @property {string} path the decoded path (no query)
 * @property {number} status
 * @property {number} bytes body bytes sent
 * @property {string} [range] the Range header, when present
 * @property {string} [userAgent]
 */
/**
 * @typedef {object} MirrorServer
 * @property {string} url http://HOST:PORT (no trailing slash)
 * @property {number} port
 * @property {RequestLogEntry[]} requests every request so far
 * @property {() => Promise<void>} close stops listening and destroys open connections
 */
/**
 * @typedef {object} MirrorServerOptions
 * @property {string} dir the mirror's root directory
 * @property {string} [host] default 127.0.0.1
 * @property {number} [port] default 0 (a free port)
 * @property {string} [log] also append each request as a JSON line to this file
 */

const TYPES = {
  ".deb": "application/vnd.debian.binary-package",
  ".gz": "application/gzip",
  ".json": "application/json",
  ".asc": "application/pgp-keys",
  ".gpg": "application/pgp-signature",
  ".pub": "application/pgp-keys",
};

/** @param {string} p */
function contentType(p) {
  const base = path.basename(p);
  if (base === "gpg" || base === "gpgkey" || base === "pubkey.gpg") return "application/pgp-keys";
  return /** @type {Record<string, string>} */ (TYPES)[path.extname(p)] ?? "text/plain; charset=utf-8";
}

/**
 * The URL of each of arv-image's download settings (URLS in src/releases/versions.ts) on a mirror
 * served at base. Layout: see README.md.
 * @param {string} base e.g. http://127.0.0.1:8080
 */
export function mirrorUrls(base) {
  const b = base.replace(/\/+$/, "");
  return {
    arvadosApt: `${b}/arvados`,
    arvadosKey: `${b}/arvados/pubkey.gpg`,
    dockerApt: `${b}/docker`,
    dockerKey: `${b}/docker/debian/gpg`,
    cudaRepo: `${b}/cuda`,
    nvidiaToolkit: `${b}/nvidia-toolkit/stable/deb`,
    nvidiaToolkitKey: `${b}/nvidia-toolkit/gpgkey`,
    go: `${b}/go`,
    singularity: `${b}/singularity`,
    autoscaler: `${b}/autoscaler`,
    // No ROCm stand-ins (no e2e image uses --amd-rocm-support): the URLs only keep every --mirror
    // name pointing here, so a build that asked for ROCm would fail on 404s, never reach AMD.
    rocmRepo: `${b}/rocm`,
    rocmKey: `${b}/rocm/rocm.gpg.key`,
  };
}

/**
 * `--mirror NAME=URL` arguments for arv-image (NAME: the setting's key in kebab case, as MIRRORS
 * in src/releases/versions.ts names them).
 * @param {string} base
 */
export function mirrorArgs(base) {
  return Object.entries(mirrorUrls(base)).flatMap(([key, url]) => ["--mirror", `${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${url}`]);
}

/**
 * The stand-in kernel-headers repository (built with kernelReleases), which arv-image does not
 * know about: an e2e harness adds it to the chroot itself before 30-nvidia runs.
 * @param {string} base
 * @param {string} keyring where the harness installs the key from keyUrl
 */
export function extrasSource(base, keyring) {
  const b = base.replace(/\/+$/, "");
  return {
    keyUrl: `${b}/extras/key.asc`,
    sources: `# arv-image e2e: stand-in kernel headers\nTypes: deb\nURIs: ${b}/extras/\nSuites: /\nSigned-By: ${keyring}\n`,
  };
}

/** @param {string} header @param {number} size @returns {[number, number] | null | undefined} undefined: ignore; null: unsatisfiable */
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start;
  let end;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return null;
  return [start, end];
}

/**
 * Serves dir over HTTP.
 * @param {MirrorServerOptions} options
 * @returns {Promise<MirrorServer>}
 */
export async function startMirror(options) {
  const root = fs.realpathSync(options.dir);
  const host = options.host ?? "127.0.0.1";
  /** @type {RequestLogEntry[]} */
  const requests = [];
  const sockets = new Set();

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  const handle = (req, res) => {
    /** @type {RequestLogEntry} */
    const entry = { time: new Date().toISOString(), method: req.method ?? "", path: "", status: 0, bytes: 0 };
    if (req.headers.range) entry.range = req.headers.range;
    if (req.headers["user-agent"]) entry.userAgent = req.headers["user-agent"];
    requests.push(entry);
    /** @param {number} status @param {string} [text] */
    const finish = (status, text) => {
      entry.status = status;
      const body = text === undefined ? "" : `${text}\n`;
      res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
      if (req.method === "HEAD") res.end();
      else {
        entry.bytes = Buffer.byteLength(body);
        res.end(body);
      }
      if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
    };
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url ?? "/", "http://mirror").pathname);
    } catch {
      return finish(400, "bad request path");
    }
    entry.path = rel;
    if (req.method !== "GET" && req.method !== "HEAD") return finish(405, "only GET and HEAD");
    if (rel.split("/").includes("..") || rel.includes("\0")) return finish(400, "bad request path");
    const file = path.join(root, rel);
    /** @type {fs.Stats} */
    let st;
    try {
      st = fs.statSync(file);
      if (!fs.realpathSync(file).startsWith(root)) return finish(404, "not found");
    } catch {
      return finish(404, `not found: ${rel}`);
    }
    if (!st.isFile()) return finish(404, `not a file: ${rel}`);
    const mtime = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
    const headers = {
      "Content-Type": contentType(file),
      "Last-Modified": mtime.toUTCString(),
      "Accept-Ranges": "bytes",
    };
    const since = req.headers["if-modified-since"];
    if (since && !req.headers.range && !Number.isNaN(Date.parse(since)) && mtime.getTime() <= Date.parse(since)) {
      entry.status = 304;
      res.writeHead(304, headers);
      res.end();
      if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
      return;
    }
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    const range = req.headers.range ? parseRange(req.headers.range, st.size) : undefined;
    // If-Range: a changed file is sent whole.
    const ifRange = String(req.headers["if-range"] ?? "");
    const rangeValid = !ifRange || (!Number.isNaN(Date.parse(ifRange)) && mtime.getTime() <= Date.parse(ifRange));
    if (range === null && rangeValid) {
      entry.status = 416;
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${st.size}` });
      res.end();
      if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
      return;
    }
    if (range && rangeValid) {
      [start, end] = range;
      status = 206;
    }
    const length = st.size === 0 ? 0 : end - start + 1;
    entry.status = status;
    res.writeHead(status, {
      ...headers,
      "Content-Length": length,
      ...(status === 206 ? { "Content-Range": `bytes ${start}-${end}/${st.size}` } : {}),
    });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
      return;
    }
    entry.bytes = length;
    const stream = fs.createReadStream(file, { start, end });
    stream.on("error", () => res.destroy());
    stream.pipe(res);
    res.on("finish", () => {
      if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
    });
  };

  const server = http.createServer(handle);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the mirror server has no TCP address");
  const port = address.port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        for (const s of sockets) s.destroy();
      }),
  };
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(path.resolve(process.argv[1])) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const { values } = parseArgs({
    options: {
      dir: { type: "string" },
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      log: { type: "string" },
    },
  });
  if (!values.dir) {
    process.stderr.write("usage: node server.mjs --dir DIR [--port 0] [--host 127.0.0.1] [--log FILE]\n");
    process.exit(2);
  }
  const server = await startMirror({ dir: values.dir, port: Number(values.port), host: values.host, log: values.log });
  process.stdout.write(`${JSON.stringify({ port: server.port, url: server.url })}\n`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
