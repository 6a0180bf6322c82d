/**
 * Derives the SSH public key (the authorized_keys line) from a private key, the way
 * `ssh-keygen -y -f KEY` does, without running ssh-keygen and without writing the key
 * anywhere. Used for arvados-dispatch-cloud's Containers.DispatchPrivateKey.
 *
 * Supported: OpenSSH "openssh-key-v1" (any key type; the public key is stored in the clear
 * in the header, so a passphrase-protected key works too), PEM PKCS#1 RSA, SEC1 EC and
 * PKCS#8 (RSA, Ed25519, ECDSA P-256/384/521). Encrypted PEM is refused.
 *
 * Never put key material into a problem text: the problems below are fixed phrases.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

export type DerivedPublicKey = {
  ok: true;
  /** "TYPE BASE64", no comment: what goes into authorized_keys. */
  line: string;
  type: string;
  /** "SHA256:…" as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** An OpenSSH key protected by a passphrase: the public key is known, but arvados-dispatch-cloud cannot use the key. */
  encrypted: boolean;
};
export type PublicKeyResult = DerivedPublicKey | { ok: false; problem: string };

const OPENSSH_MAGIC = Buffer.from("openssh-key-v1\0", "latin1");
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const EC_CURVES: Record<string, string> = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" };

/** "SHA256:" + unpadded base64 of the SHA-256 of the wire-format key, like `ssh-keygen -l`. */
export function fingerprintOfBlob(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

export function publicKeyFromPrivate(text: string): PublicKeyResult {
  const fail = (problem: string): PublicKeyResult => ({ ok: false, problem });
  if (text.trim() === "") return fail("is empty");
  if (text.startsWith("PuTTY-User-Key-File-")) {
    return fail("is a PuTTY key (.ppk); convert it with `puttygen KEY -O private-openssh-new -o KEY.openssh`");
  }
  const m = PEM_BLOCK.exec(text);
  if (!m) {
    if (/-----BEGIN [A-Z0-9 ]*PUBLIC KEY-----/.test(text) || /^\s*(ssh-|ecdsa-|sk-)\S+\s+AAAA/.test(text)) {
      return fail("is a public key, not a private key");
    }
    return fail('holds no "-----BEGIN … PRIVATE KEY-----" … "-----END … PRIVATE KEY-----" block');
  }
  const label = m[1] ?? "";
  const body = m[2] ?? "";
  // Go's pem.Decode (which arvados-dispatch-cloud uses) needs the armour lines on lines of their
  // own; a YAML plain or folded scalar joins the lines with spaces.
  if (!/^\r?\n/.test(body) || !/\n\s*$/.test(body)) {
    return fail(
      `is a PEM block ("${label}") whose BEGIN line runs on into the key data (the line breaks are lost: ` +
        'in YAML, write the key as a literal block scalar, "DispatchPrivateKey: |" followed by the indented key lines)',
    );
  }
  switch (label) {
    case "OPENSSH PRIVATE KEY":
      return fromOpenSsh(body);
    case "ENCRYPTED PRIVATE KEY":
      return fail("is an encrypted PKCS#8 key; arvados-dispatch-cloud needs an unencrypted key (remove the passphrase with `ssh-keygen -p -N '' -f KEY`)");
    case "RSA PRIVATE KEY":
    case "EC PRIVATE KEY":
    case "PRIVATE KEY":
      if (/^Proc-Type:\s*4,ENCRYPTED/m.test(body)) {
        return fail("is an encrypted PEM key; arvados-dispatch-cloud needs an unencrypted key (remove the passphrase with `ssh-keygen -p -N '' -f KEY`)");
      }
      return fromPem(`-----BEGIN ${label}-----${body}-----END ${label}-----\n`, label);
    case "DSA PRIVATE KEY":
      return fail("is a DSA key; OpenSSH no longer accepts DSA keys (make an Ed25519 key with `ssh-keygen -t ed25519`)");
    default:
      return fail(`is a "${label.slice(0, 40)}" PEM block, not an SSH private key`);
  }
}

// ---------------------------------------------------------------------------------------------
// OpenSSH's own format (PROTOCOL.key): "openssh-key-v1\0", string ciphername, string kdfname,
// string kdfoptions, uint32 number of keys, that many public key strings, string private part.

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  get rest(): number {
    return this.buf.length - this.at;
  }
  uint32(): number | undefined {
    if (this.rest < 4) return undefined;
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  string(): Buffer | undefined {
    const len = this.uint32();
    if (len === undefined || len > this.rest) return undefined;
    const v = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return v;
  }
}

function fromOpenSsh(body: string): PublicKeyResult {
  const b64 = body.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, problem: "is an OpenSSH private key whose base64 data is damaged" };
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length < OPENSSH_MAGIC.length || !bytes.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) {
    return { ok: false, problem: 'is an "OPENSSH PRIVATE KEY" block that does not start with "openssh-key-v1"' };
  }
  const r = new Reader(bytes.subarray(OPENSSH_MAGIC.length));
  const cipher = r.string();
  const kdf = r.string();
  const kdfOptions = r.string();
  const count = r.uint32();
  const blob = r.string();
  if (!cipher || !kdf || !kdfOptions || count === undefined || !blob) {
    return { ok: false, problem: "is an OpenSSH private key that is truncated or damaged" };
  }
  if (count < 1 || count > 64) return { ok: false, problem: "is an OpenSSH private key file that holds no key" };
  const type = checkBlob(blob);
  if (type === undefined) return { ok: false, problem: "is an OpenSSH private key whose public part is damaged" };
  for (let i = 1; i < count; i++) if (!r.string()) return { ok: false, problem: "is an OpenSSH private key that is truncated or damaged" };
  // The private part must be there in full (ssh-keygen and arvados-dispatch-cloud read it);
  // unencrypted, its two check numbers must agree and its first key must be the same type.
  const secret = r.string();
  if (!secret || r.rest !== 0) return { ok: false, problem: "is an OpenSSH private key that is truncated or damaged" };
  const encrypted = cipher.toString("latin1") !== "none";
  if (!encrypted) {
    const p = new Reader(secret);
    const check1 = p.uint32();
    const check2 = p.uint32();
    const privateType = p.string();
    if (check1 === undefined || check1 !== check2 || !privateType || privateType.toString("latin1") !== type) {
      return { ok: false, problem: "is an OpenSSH private key whose private part is damaged" };
    }
  }
  return derived(type, blob, encrypted);
}

/** The key type, if the wire-format public key is well formed (strictly for the types sshd knows, loosely otherwise). */
function checkBlob(blob: Buffer): string | undefined {
  const r = new Reader(blob);
  const typeBuf = r.string();
  if (!typeBuf) return undefined;
  const type = typeBuf.toString("latin1");
  if (!/^[a-z0-9][a-z0-9.@-]{0,63}$/i.test(type)) return undefined;
  const fields: Record<string, number> = {
    "ssh-ed25519": 1,
    "ssh-rsa": 2,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
    "sk-ssh-ed25519@openssh.com": 2,
    "sk-ecdsa-sha2-nistp256@openssh.com": 3,
  };
  const n = fields[type];
  if (n === undefined) return r.rest > 0 ? type : undefined;
  for (let i = 0; i < n; i++) if (!r.string()) return undefined;
  if (r.rest !== 0) return undefined;
  if (type === "ssh-ed25519" && blob.length !== 4 + type.length + 4 + 32) return undefined;
  return type;
}

// ---------------------------------------------------------------------------------------------
// PEM: let OpenSSL (node:crypto) parse it, export the public half as JWK, build the wire format.

function fromPem(pem: string, label: string): PublicKeyResult {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    // OpenSSL's messages name the failing decoder, never the data; still, say only what kind of failure it was.
    const code = (e as { code?: unknown }).code;
    if (code === "ERR_MISSING_PASSPHRASE") {
      return { ok: false, problem: "is an encrypted PEM key; arvados-dispatch-cloud needs an unencrypted key (remove the passphrase with `ssh-keygen -p -N '' -f KEY`)" };
    }
    return { ok: false, problem: `is a "${label}" PEM block that OpenSSL cannot read (damaged or unsupported${typeof code === "string" ? `: ${code}` : ""})` };
  }
  const kind = key.asymmetricKeyType;
  const jwk = createPublicKey(key).export({ format: "jwk" });
  const b64u = (v: unknown): Buffer => Buffer.from(typeof v === "string" ? v : "", "base64url");
  if (kind === "rsa") {
    const blob = Buffer.concat([sshString("ssh-rsa"), sshMpint(b64u(jwk.e)), sshMpint(b64u(jwk.n))]);
    return derived("ssh-rsa", blob, false);
  }
  if (kind === "ed25519") {
    const x = b64u(jwk.x);
    if (x.length !== 32) return { ok: false, problem: "is an Ed25519 key of the wrong length" };
    return derived("ssh-ed25519", Buffer.concat([sshString("ssh-ed25519"), sshString(x)]), false);
  }
  if (kind === "ec") {
    const curve = EC_CURVES[String(jwk.crv)];
    if (!curve) return { ok: false, problem: `is an EC key on curve ${String(jwk.crv).slice(0, 20)}, which SSH does not support (use P-256, P-384 or P-521, or Ed25519)` };
    const type = `ecdsa-sha2-${curve}`;
    const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
    return derived(type, Buffer.concat([sshString(type), sshString(curve), sshString(point)]), false);
  }
  return { ok: false, problem: `is a ${String(kind)} key, which arvados-dispatch-cloud cannot use (use Ed25519 or RSA: \`ssh-keygen -t ed25519\`)` };
}

function sshString(v: string | Buffer): Buffer {
  const data = typeof v === "string" ? Buffer.from(v, "latin1") : v;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** RFC 4251 mpint of a non-negative big-endian integer: minimal, with a 0 byte when the top bit is set. */
function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let v = unsigned.subarray(i);
  if (v.length > 0 && (v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

function derived(type: string, blob: Buffer, encrypted: boolean): DerivedPublicKey {
  return { ok: true, line: `${type} ${blob.toString("base64")}`, type, fingerprint: fingerprintOfBlob(blob), encrypted };
}
