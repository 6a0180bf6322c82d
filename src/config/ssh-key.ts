/**
 * Reads an SSH public key file the way sshd reads authorized_keys: one key per line,
 * "type base64 [comment]". Checks each blob's embedded type; refuses private keys.
 */
const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

export interface PublicKey {
  type: string;
  blob: string;
  comment: string;
  /** The line as it goes into authorized_keys. */
  line: string;
}

export type KeyFileResult = { ok: true; keys: PublicKey[] } | { ok: false; problem: string; privateKey?: boolean };

export function looksLikePrivateKey(content: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(content) || content.startsWith("PuTTY-User-Key-File-");
}

export function parsePublicKeys(content: string): KeyFileResult {
  if (looksLikePrivateKey(content)) {
    return { ok: false, privateKey: true, problem: "the file holds a PRIVATE key" };
  }
  const keys: PublicKey[] = [];
  const seen = new Set<string>();
  const lines = content.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    const where = lines.length > 1 ? ` (line ${i + 1})` : "";
    if (!m) return { ok: false, problem: `a line is not "TYPE BASE64 [COMMENT]"${where}` };
    const [, type = "", blob = "", comment = ""] = m;
    if (!KEY_TYPES.has(type)) return { ok: false, problem: `"${type.slice(0, 40)}" is not an SSH public key type${where}` };
    if (!blobHasType(blob, type)) return { ok: false, problem: `the base64 key data does not decode to a ${type} key${where}` };
    if (seen.has(type + " " + blob)) continue;
    seen.add(type + " " + blob);
    keys.push({ type, blob, comment, line: comment ? `${type} ${blob} ${comment}` : `${type} ${blob}` });
  }
  if (keys.length === 0) return { ok: false, problem: "the file holds no public key" };
  return { ok: true, keys };
}

/** The SSH wire format starts with a uint32 length and the key type string. */
function blobHasType(blob: string, type: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return false;
  const bytes = Buffer.from(blob, "base64");
  if (bytes.length < 4 + type.length) return false;
  const len = bytes.readUInt32BE(0);
  return len === type.length && bytes.subarray(4, 4 + len).toString("latin1") === type;
}
