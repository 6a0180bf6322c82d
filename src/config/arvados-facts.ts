/** What arv-image reads from an Arvados cluster's config.yml, and how its values are shown in messages. */

export type RuntimeEngine = "docker" | "singularity";

export interface DispatchPublicKey {
  /** "TYPE BASE64" (no comment). */
  line: string;
  type: string;
  /** "SHA256:…" as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** "inline" when the key is written in config.yml, else the file a file:// URL names. */
  from: string;
  /** A passphrase-protected OpenSSH key: the public key is known, but arvados-dispatch-cloud cannot use the key. */
  encrypted: boolean;
}

export interface InstanceTypeFacts {
  name: string;
  providerType?: string;
  includedScratch?: string | number;
  addedScratch?: string | number;
  /** DeviceCount > 0 in CUDA (Arvados < 3.3) or GPU (3.1+): the dispatcher puts GPU containers on it. */
  gpu: boolean;
  /** "cuda" for a CUDA section, GPU.Stack otherwise ("cuda", "rocm"); only when gpu. */
  gpuStack?: string;
}

export interface ArvadosClusterFacts {
  /** The config file read (for messages). */
  configPath: string;
  clusterId: string;
  dispatchPublicKey?: DispatchPublicKey;
  runtimeEngine?: RuntimeEngine;
  adminUsername?: string;
  driver?: string;
  imageId?: string;
  iamInstanceProfile?: string;
  bootProbeCommand?: string;
  instanceTypes: InstanceTypeFacts[];
}

export type ArvadosConfigResult = { ok: true; cluster: ArvadosClusterFacts } | { ok: false; problems: string[] };

import { escapeControls, quote } from "./messages.js";

export { quote };
/** A config value shown in a message: short, one line. Never used for DispatchPrivateKey. */
export const shown = (v: unknown) => {
  const s = typeof v === "string" ? quote(v) : escapeControls(JSON.stringify(v) ?? String(v));
  return s.length > 64 ? s.slice(0, 61) + "..." : s;
};
export const kindOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : typeof v === "string" ? "a string" : `a ${typeof v}`);
export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
