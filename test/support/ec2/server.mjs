// @ts-check
/**
 * A loopback EC2 Query API server (plus the IAM GetInstanceProfile and STS GetCallerIdentity calls
 * that arrive at the same endpoint) for tests: arv-image's preflight through @aws-sdk/client-ec2,
 * and Packer's amazon-ebs builder through `custom_endpoint_ec2`. See SPEC.md next to this file.
 *
 * In-process:  const ec2 = await startEc2Server({ state, credentials, faults, log });
 * Standalone:  node server.mjs --port 0 --state state.json --log requests.jsonl [--access-key AK --secret-key SK]
 *              prints {"port":N} once listening; SIGTERM/SIGINT close it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

// ---------------------------------------------------------------------------------------------
// Types

/** @typedef {{ key: string, value: string }} Tag */
/**
 * @typedef {object} Fault
 * @property {string} [code] error code to answer with (e.g. "UnauthorizedOperation")
 * @property {number} [status] HTTP status of the error; 400 unless given
 * @property {string} [message] error message
 * @property {number} [delayMs] wait this long before answering (normally, or with `code`)
 * @property {boolean} [hang] never answer (until close())
 * @property {number} [times] apply only to the first N calls of the action; every call when absent
 */
/** @typedef {{ accessKeyId: string, secretAccessKey: string }} Credentials */
/** @typedef {{ zoneName: string, zoneId: string, state: string }} AvailabilityZone */
/** @typedef {{ regionName: string, availabilityZones: AvailabilityZone[] }} Region */
/**
 * @typedef {object} EbsSpec
 * @property {string} [snapshotId]
 * @property {number} [volumeSize]
 * @property {string} [volumeType]
 * @property {number} [iops]
 * @property {number} [throughput]
 * @property {boolean} [deleteOnTermination]
 * @property {boolean} [encrypted]
 * @property {string} [kmsKeyId]
 */
/** @typedef {{ deviceName: string, noDevice?: boolean, virtualName?: string, ebs?: EbsSpec }} BlockDeviceMapping */
/**
 * @typedef {object} Image
 * @property {string} imageId
 * @property {string} name
 * @property {string} ownerId
 * @property {string} [imageOwnerAlias] e.g. "amazon"; matched by Owner.N
 * @property {string} state available | pending | failed
 * @property {string} architecture x86_64 | arm64
 * @property {string} rootDeviceType ebs | instance-store
 * @property {string} rootDeviceName
 * @property {string} virtualizationType
 * @property {string} creationDate ISO 8601
 * @property {string} description
 * @property {BlockDeviceMapping[]} blockDeviceMapping
 * @property {Tag[]} tags
 * @property {string} region
 * @property {boolean} public
 * @property {boolean} enaSupport
 * @property {string} [sriovNetSupport]
 * @property {string} [bootMode]
 * @property {string} [sourceInstanceId] set by CreateImage
 * @property {string} [sourceImageId] set by CopyImage
 * @property {string} [sourceRegion] set by CopyImage
 * @property {Array<{ userId?: string, group?: string }>} launchPermissions
 * @property {Record<string, string>[]} modifications ModifyImageAttribute calls, as form fields
 */
/** @typedef {{ vpcId: string, cidrBlock: string, isDefault: boolean, state: string, region: string, ownerId: string, tags: Tag[] }} Vpc */
/**
 * @typedef {object} Subnet
 * @property {string} subnetId
 * @property {string} vpcId
 * @property {string} availabilityZone
 * @property {string} cidrBlock
 * @property {number} availableIpAddressCount decremented per running instance
 * @property {string} state
 * @property {boolean} mapPublicIpOnLaunch
 * @property {boolean} defaultForAz
 * @property {string} region derived from the AZ
 * @property {string} ownerId
 * @property {Tag[]} tags
 */
/**
 * @typedef {object} KeyPair
 * @property {string} keyName
 * @property {string} keyPairId
 * @property {string} keyFingerprint
 * @property {string} keyType rsa | ed25519
 * @property {string} [publicKey] OpenSSH authorized_keys form, when derivable
 * @property {string} createTime
 * @property {string} region
 * @property {Tag[]} tags
 */
/** @typedef {{ ipProtocol: string, fromPort?: number, toPort?: number, ipRanges: Array<{ cidrIp: string, description?: string }>, groups: Array<{ groupId: string }> }} IpPermission */
/**
 * @typedef {object} SecurityGroup
 * @property {string} groupId
 * @property {string} groupName
 * @property {string} description
 * @property {string} vpcId
 * @property {string} region
 * @property {string} ownerId
 * @property {IpPermission[]} ipPermissions
 * @property {IpPermission[]} ipPermissionsEgress
 * @property {Tag[]} tags
 */
/** @typedef {{ deviceName: string, volumeId: string, deleteOnTermination: boolean, attachTime: string }} InstanceBlockDevice */
/**
 * @typedef {object} Instance
 * @property {string} instanceId
 * @property {string} reservationId
 * @property {string} imageId
 * @property {string} instanceType
 * @property {string} state pending | running | shutting-down | terminated | stopping | stopped
 * @property {string} stateTransitionReason
 * @property {string} [keyName]
 * @property {string} launchTime
 * @property {string} region
 * @property {string} availabilityZone
 * @property {string} [subnetId]
 * @property {string} [vpcId]
 * @property {string} privateIpAddress
 * @property {string} [publicIpAddress]
 * @property {string[]} securityGroupIds
 * @property {string} architecture
 * @property {string} rootDeviceType
 * @property {string} rootDeviceName
 * @property {string} virtualizationType
 * @property {InstanceBlockDevice[]} blockDeviceMapping
 * @property {BlockDeviceMapping[]} requestedBlockDeviceMappings BlockDeviceMapping.N as sent
 * @property {Tag[]} tags
 * @property {string} instanceInitiatedShutdownBehavior
 * @property {boolean} ebsOptimized
 * @property {boolean} enaSupport
 * @property {string} [sriovNetSupport]
 * @property {{ httpTokens: string, httpEndpoint: string, httpPutResponseHopLimit: number, instanceMetadataTags: string }} metadataOptions
 * @property {{ arn: string, id: string, name: string }} [iamInstanceProfile]
 * @property {string} [userData] base64, as sent
 * @property {string} [clientToken]
 * @property {number} amiLaunchIndex
 * @property {Record<string, string>} launchParams every RunInstances form field (less Action/Version)
 * @property {Record<string, string>[]} modifications ModifyInstanceAttribute calls, as form fields
 */
/**
 * @typedef {object} VolumeAttachment
 * @property {string} instanceId
 * @property {string} device
 * @property {string} state
 * @property {boolean} deleteOnTermination
 * @property {string} attachTime
 */
/**
 * @typedef {object} Volume
 * @property {string} volumeId
 * @property {number} size GiB
 * @property {string} volumeType
 * @property {number} [iops]
 * @property {number} [throughput]
 * @property {string} [snapshotId]
 * @property {string} availabilityZone
 * @property {string} region
 * @property {string} state in-use | available
 * @property {boolean} encrypted
 * @property {string} [kmsKeyId]
 * @property {string} createTime
 * @property {VolumeAttachment[]} attachments
 * @property {Tag[]} tags
 */
/**
 * @typedef {object} Snapshot
 * @property {string} snapshotId
 * @property {string} [volumeId]
 * @property {number} volumeSize
 * @property {string} state
 * @property {string} progress
 * @property {string} startTime
 * @property {string} ownerId
 * @property {string} description
 * @property {boolean} encrypted
 * @property {string} region
 * @property {Tag[]} tags
 * @property {Record<string, string>[]} modifications ModifySnapshotAttribute calls, as form fields
 */
/** @typedef {{ roleName: string, roleId: string, arn: string, path: string }} Role */
/** @typedef {{ instanceProfileName: string, instanceProfileId: string, arn: string, path: string, roles: Role[] }} InstanceProfile */
/**
 * The whole model. JSON-able; every field is optional in a seed.
 * @typedef {object} Ec2State
 * @property {string} accountId
 * @property {Region[]} regions the first is the default (used for unsigned requests)
 * @property {string[]} instanceTypes offered in every AZ unless instanceTypeOfferings names the AZ
 * @property {Record<string, string[]>} instanceTypeOfferings AZ name -> instance types offered there
 * @property {Image[]} images
 * @property {Vpc[]} vpcs
 * @property {Subnet[]} subnets
 * @property {KeyPair[]} keyPairs
 * @property {SecurityGroup[]} securityGroups
 * @property {Instance[]} instances terminated ones stay listed, as on AWS
 * @property {Volume[]} volumes
 * @property {Snapshot[]} snapshots
 * @property {InstanceProfile[] | null} instanceProfiles null: every name exists (synthesised)
 * @property {{ arn: string, userId: string }} caller GetCallerIdentity answer
 * @property {Record<string, Fault>} faults action name (or "*") -> fault; live, may be edited
 */
/**
 * @typedef {object} RequestLogEntry
 * @property {string} time
 * @property {string} action
 * @property {string} [version]
 * @property {string} service ec2 | iam | sts
 * @property {string} region
 * @property {Record<string, string>} params form fields (signature-like fields redacted)
 * @property {number | null} status null while hanging / when closed before answering
 * @property {string | null} errorCode
 * @property {number} durationMs
 * @property {boolean} [securityToken] present when the request carried X-Amz-Security-Token
 * @property {string} [fault] "error" | "delay" | "hang" when a fault was applied
 */
/**
 * @typedef {object} Ec2ServerOptions
 * @property {number} [port] 0 (default) picks a free port; always 127.0.0.1
 * @property {Partial<Ec2State> | Record<string, unknown>} [state] seed; deep-copied, then normalised
 * @property {string} [log] JSONL request log, appended to
 * @property {string} [stateOut] write the state as JSON here after every request and on close()
 * @property {Credentials | Credentials[]} [credentials] when set, SigV4 is verified
 * @property {Record<string, Fault>} [faults] merged over state.faults
 * @property {string} [keyMaterial] private key text returned by every CreateKeyPair; generated when absent
 * @property {string} [publicIpAddress] instances' public address (127.0.0.1)
 * @property {string} [privateIpAddress] instances' private address (127.0.0.1)
 * @property {number} [maxClockSkewMs] with credentials: reject X-Amz-Date further off than this (15 min)
 */
/**
 * @typedef {object} Ec2Server
 * @property {string} url http://127.0.0.1:PORT
 * @property {number} port
 * @property {Ec2State} state live state
 * @property {RequestLogEntry[]} requests every request so far
 * @property {() => Promise<void>} close stops listening, ends delays/hangs, destroys sockets
 */

// ---------------------------------------------------------------------------------------------
// Small helpers

const EC2_VERSION = "2016-11-15";
const IAM_VERSION = "2010-05-08";
const STS_VERSION = "2011-06-15";
const DEFAULT_INSTANCE_TYPES = [
  "t3.micro",
  "t3.small",
  "t3.medium",
  "t3.large",
  "t3a.small",
  "m5.large",
  "m5.xlarge",
  "m5.2xlarge",
  "m6i.large",
  "c5.large",
  "c5.xlarge",
  "r5.large",
  "g4dn.xlarge",
  "g4dn.2xlarge",
  "p3.2xlarge",
  "t4g.small",
  "m6g.large",
  "c6g.large",
];
const STATE_CODES = /** @type {Record<string, number>} */ ({
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
});
const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"];

class ApiError extends Error {
  /** @param {string} code @param {string} message @param {number} [status] */
  constructor(code, message, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** @param {string} code @param {string} message @param {number} [status] @returns {never} */
function fail(code, message, status = 400) {
  throw new ApiError(code, message, status);
}

/** @param {unknown} s */
function esc(s) {
  return (
    String(s)
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

/** @typedef {{ [name: string]: unknown }} XmlObject values: string | number | boolean | null | undefined | XmlObject | array of those */
/** @typedef {unknown} XmlValue */

/**
 * Serialise an object whose keys are AWS XML element names. Arrays become a wrapper element
 * holding one `<item>` (EC2) or `<member>` (IAM) per entry; undefined/null are left out.
 * @param {XmlObject} obj @param {string} itemName
 */
function toXml(obj, itemName = "item") {
  let out = "";
  for (const [name, value] of Object.entries(obj)) {
    if (value === undefined || value === null) continue;
    out += `<${name}>${xmlInner(value, itemName)}</${name}>`;
  }
  return out;
}

/** @param {XmlValue} value @param {string} itemName @returns {string} */
function xmlInner(value, itemName) {
  if (Array.isArray(value)) return value.map((v) => `<${itemName}>${xmlInner(v, itemName)}</${itemName}>`).join("");
  if (value !== null && typeof value === "object") return toXml(/** @type {XmlObject} */ (value), itemName);
  return esc(value);
}

/** @param {string} prefix */
function newId(prefix) {
  return `${prefix}-0${crypto.randomBytes(8).toString("hex")}`;
}

/** A stable id for default resources, so tests can name them. @param {string} prefix @param {string} seed */
function stableId(prefix, seed) {
  return `${prefix}-0${crypto.createHash("sha256").update(seed).digest("hex").slice(0, 16)}`;
}

function nowIso() {
  return new Date().toISOString();
}

/** AWS filter wildcards: `*` any run, `?` one character, backslash escapes. @param {string} pattern */
function wildcard(pattern) {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = /** @type {string} */ (pattern[i]);
    if (c === "\\" && i + 1 < pattern.length) re += escapeRegExp(/** @type {string} */ (pattern[++i]));
    else if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

/** @param {string} s */
function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** @param {Tag[] | Record<string, string> | undefined} tags @returns {Tag[]} */
function normTags(tags) {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ key: String(t.key), value: String(t.value ?? "") }));
  return Object.entries(tags).map(([key, value]) => ({ key, value: String(value) }));
}

/** @param {Tag[]} tags */
function tagSet(tags) {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

/** @param {Tag[]} target @param {Tag[]} add */
function upsertTags(target, add) {
  for (const t of add) {
    const existing = target.find((x) => x.key === t.key);
    if (existing) existing.value = t.value;
    else target.push({ key: t.key, value: t.value });
  }
}

/** @param {string | undefined} v */
function bool(v) {
  if (v === undefined) return undefined;
  if (v.toLowerCase() === "true") return true;
  if (v.toLowerCase() === "false") return false;
  return undefined;
}

/** @param {string | undefined} v @param {string} name */
function int(v, name) {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) fail("InvalidParameterValue", `Invalid value '${v}' for ${name}`);
  return n;
}

/** Form fields of one request, with the EC2 query list conventions (Name.N, Name.N.Sub). */
class Params {
  /** @param {Map<string, string>} map */
  constructor(map) {
    this.map = map;
  }
  /** @param {string} key */
  get(key) {
    return this.map.get(key);
  }
  /** @param {string} key */
  require(key) {
    const v = this.map.get(key);
    if (v === undefined || v === "") fail("MissingParameter", `The request must contain the parameter ${key}`);
    return v;
  }
  /** Values of `prefix.1`, `prefix.2`, … in index order. @param {string} prefix @returns {string[]} */
  list(prefix) {
    const re = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`);
    /** @type {Array<[number, string]>} */
    const found = [];
    for (const [k, v] of this.map) {
      const m = re.exec(k);
      if (m) found.push([Number(m[1]), v]);
    }
    return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }
  /** Sub-structures `prefix.N.*`, each as its own Params, in index order. @param {string} prefix @returns {Params[]} */
  structs(prefix) {
    const re = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)\\.(.+)$`);
    /** @type {Map<number, Map<string, string>>} */
    const groups = new Map();
    for (const [k, v] of this.map) {
      const m = re.exec(k);
      if (!m) continue;
      const n = Number(m[1]);
      if (!groups.has(n)) groups.set(n, new Map());
      /** @type {Map<string, string>} */ (groups.get(n)).set(/** @type {string} */ (m[2]), v);
    }
    return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => new Params(m));
  }
  /** Fields under `prefix.` with the prefix removed. @param {string} prefix */
  sub(prefix) {
    const m = new Map();
    for (const [k, v] of this.map) if (k.startsWith(`${prefix}.`)) m.set(k.slice(prefix.length + 1), v);
    return new Params(m);
  }
  get size() {
    return this.map.size;
  }
  /** @returns {Record<string, string>} */
  record() {
    const out = /** @type {Record<string, string>} */ ({});
    for (const [k, v] of this.map) if (k !== "Action" && k !== "Version") out[k] = v;
    return out;
  }
}

/** @typedef {{ name: string, values: string[] }} Filter */

/** @param {Params} p @returns {Filter[]} */
function filtersOf(p) {
  return p.structs("Filter").map((f) => ({ name: f.get("Name") ?? "", values: f.list("Value") }));
}

/**
 * @template T
 * @typedef {Record<string, (item: T) => unknown>} FilterFields
 */

/**
 * AND across filters, OR across a filter's values, wildcards in values. `tag:K`, `tag-key`,
 * `tag-value` work on any item with `tags`.
 * @template {{ tags?: Tag[] }} T
 * @param {T[]} items @param {Filter[]} filters @param {FilterFields<T>} fields
 */
function applyFilters(items, filters, fields) {
  for (const f of filters) {
    if (!f.name) fail("InvalidParameterValue", "The filter 'null' is invalid");
    const known = f.name in fields || f.name.startsWith("tag:") || f.name === "tag-key" || f.name === "tag-value";
    if (!known) fail("InvalidParameterValue", `The filter '${f.name}' is invalid`);
  }
  return items.filter((item) =>
    filters.every((f) => {
      const res = f.values.map(wildcard);
      /** @type {unknown} */
      let got;
      if (f.name in fields) got = /** @type {(item: T) => unknown} */ (fields[f.name])(item);
      else if (f.name.startsWith("tag:")) got = (item.tags ?? []).filter((t) => t.key === f.name.slice(4)).map((t) => t.value);
      else if (f.name === "tag-key") got = (item.tags ?? []).map((t) => t.key);
      else got = (item.tags ?? []).map((t) => t.value);
      const vals = (Array.isArray(got) ? got : [got]).filter((v) => v !== undefined && v !== null).map(String);
      return vals.some((v) => res.some((re) => re.test(v)));
    }),
  );
}

/**
 * MaxResults/NextToken paging; the token is the offset.
 * @template T @param {T[]} items @param {Params} p @returns {{ page: T[], nextToken: string | undefined }}
 */
function paginate(items, p) {
  const max = int(p.get("MaxResults"), "MaxResults");
  const token = p.get("NextToken");
  const start = token ? Number(token) : 0;
  if (!Number.isInteger(start) || start < 0) fail("InvalidNextToken", "The token is invalid");
  if (max === undefined) return { page: items.slice(start), nextToken: undefined };
  const end = start + max;
  return { page: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

/** @param {string} id @param {string} prefix */
function wellFormed(id, prefix) {
  return new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}

/** @param {string[]} ids @param {string} noun e.g. "instance ID" */
function notFoundMessage(ids, noun) {
  return ids.length === 1 ? `The ${noun} '${ids[0]}' does not exist` : `The ${noun}s '${ids.join(", ")}' do not exist`;
}

// ---------------------------------------------------------------------------------------------
// State normalisation

/** @param {string} region */
function regionAbbrev(region) {
  const parts = region.split("-");
  return parts.map((p, i) => (i === 0 || /^\d+$/.test(p) ? p : p[0])).join("");
}

/**
 * @param {any} input
 * @returns {Ec2State}
 */
function normalizeState(input) {
  const s = input && typeof input === "object" ? input : {};
  const accountId = String(s.accountId ?? "123456789012");
  /** @type {Region[]} */
  const regions = (s.regions ?? [{ regionName: "us-east-1" }]).map((/** @type {any} */ r) => {
    const regionName = typeof r === "string" ? r : String(r.regionName);
    const zones = typeof r === "string" || !r.availabilityZones ? ["a", "b", "c"].map((l) => regionName + l) : r.availabilityZones;
    return {
      regionName,
      availabilityZones: zones.map((/** @type {any} */ z, /** @type {number} */ i) => {
        const zoneName = typeof z === "string" ? z : String(z.zoneName);
        return {
          zoneName,
          zoneId: (typeof z === "object" && z.zoneId) || `${regionAbbrev(regionName)}-az${i + 1}`,
          state: (typeof z === "object" && z.state) || "available",
        };
      }),
    };
  });
  if (regions.length === 0) throw new Error("ec2 mock state: regions must not be empty");
  const defaultRegion = /** @type {Region} */ (regions[0]).regionName;
  /** @param {string} az */
  const regionOfAz = (az) => regions.find((r) => r.availabilityZones.some((z) => z.zoneName === az))?.regionName ?? defaultRegion;

  /** @type {Vpc[]} */
  let vpcs;
  /** @type {Subnet[]} */
  let subnets;
  if (s.vpcs === undefined && s.subnets === undefined) {
    // As on AWS: a default VPC per region with a default subnet per AZ.
    vpcs = [];
    subnets = [];
    for (const r of regions) {
      const vpcId = stableId("vpc", `default-vpc/${r.regionName}`);
      vpcs.push({ vpcId, cidrBlock: "172.31.0.0/16", isDefault: true, state: "available", region: r.regionName, ownerId: accountId, tags: [] });
      r.availabilityZones.forEach((z, i) => {
        subnets.push({
          subnetId: stableId("subnet", `default-subnet/${z.zoneName}`),
          vpcId,
          availabilityZone: z.zoneName,
          cidrBlock: `172.31.${i * 16}.0/20`,
          availableIpAddressCount: 4091,
          state: "available",
          mapPublicIpOnLaunch: true,
          defaultForAz: true,
          region: r.regionName,
          ownerId: accountId,
          tags: [],
        });
      });
    }
  } else {
    vpcs = (s.vpcs ?? []).map((/** @type {any} */ v) => ({
      vpcId: String(v.vpcId ?? newId("vpc")),
      cidrBlock: String(v.cidrBlock ?? "10.0.0.0/16"),
      isDefault: Boolean(v.isDefault),
      state: String(v.state ?? "available"),
      region: String(v.region ?? defaultRegion),
      ownerId: String(v.ownerId ?? accountId),
      tags: normTags(v.tags),
    }));
    subnets = (s.subnets ?? []).map((/** @type {any} */ x) => {
      const az = String(x.availabilityZone ?? /** @type {AvailabilityZone} */ (/** @type {Region} */ (regions[0]).availabilityZones[0]).zoneName);
      return {
        subnetId: String(x.subnetId ?? newId("subnet")),
        vpcId: String(x.vpcId ?? vpcs[0]?.vpcId ?? ""),
        availabilityZone: az,
        cidrBlock: String(x.cidrBlock ?? "10.0.0.0/24"),
        availableIpAddressCount: Number(x.availableIpAddressCount ?? 251),
        state: String(x.state ?? "available"),
        mapPublicIpOnLaunch: Boolean(x.mapPublicIpOnLaunch),
        defaultForAz: Boolean(x.defaultForAz),
        region: String(x.region ?? regionOfAz(az)),
        ownerId: String(x.ownerId ?? accountId),
        tags: normTags(x.tags),
      };
    });
  }

  /** @type {Image[]} */
  const images = (s.images ?? []).map((/** @type {any} */ i) => {
    const rootDeviceType = String(i.rootDeviceType ?? "ebs");
    const rootDeviceName = String(i.rootDeviceName ?? "/dev/xvda");
    const imageId = String(i.imageId ?? newId("ami"));
    /** @type {BlockDeviceMapping[]} */
    const bdm =
      i.blockDeviceMapping ??
      (rootDeviceType === "ebs"
        ? [{ deviceName: rootDeviceName, ebs: { snapshotId: stableId("snap", `root/${imageId}`), volumeSize: 8, volumeType: "gp2", deleteOnTermination: true, encrypted: false } }]
        : []);
    return {
      imageId,
      name: String(i.name ?? imageId),
      ownerId: String(i.ownerId ?? accountId),
      ...(i.imageOwnerAlias ? { imageOwnerAlias: String(i.imageOwnerAlias) } : {}),
      state: String(i.state ?? "available"),
      architecture: String(i.architecture ?? "x86_64"),
      rootDeviceType,
      rootDeviceName,
      virtualizationType: String(i.virtualizationType ?? "hvm"),
      creationDate: String(i.creationDate ?? nowIso()),
      description: String(i.description ?? ""),
      blockDeviceMapping: bdm,
      tags: normTags(i.tags),
      region: String(i.region ?? defaultRegion),
      public: Boolean(i.public ?? false),
      enaSupport: i.enaSupport ?? true,
      ...(i.sriovNetSupport ? { sriovNetSupport: String(i.sriovNetSupport) } : {}),
      ...(i.bootMode ? { bootMode: String(i.bootMode) } : {}),
      ...(i.sourceInstanceId ? { sourceInstanceId: String(i.sourceInstanceId) } : {}),
      ...(i.sourceImageId ? { sourceImageId: String(i.sourceImageId), sourceRegion: String(i.sourceRegion ?? defaultRegion) } : {}),
      launchPermissions: i.launchPermissions ?? [],
      modifications: i.modifications ?? [],
    };
  });

  /** @param {any[] | undefined} arr @param {(x: any) => any} fill */
  const withTags = (arr, fill) => (arr ?? []).map((x) => ({ ...fill(x), ...x, tags: normTags(x.tags) }));

  return {
    accountId,
    regions,
    instanceTypes: (s.instanceTypes ?? DEFAULT_INSTANCE_TYPES).map(String),
    instanceTypeOfferings: s.instanceTypeOfferings ?? {},
    images,
    vpcs,
    subnets,
    keyPairs: withTags(s.keyPairs, (k) => ({ keyPairId: newId("key"), keyFingerprint: "", keyType: "rsa", createTime: nowIso(), region: k.region ?? defaultRegion })),
    securityGroups: withTags(s.securityGroups, (g) => ({
      groupId: newId("sg"),
      description: "",
      vpcId: vpcs.find((v) => v.isDefault)?.vpcId ?? "",
      region: g.region ?? defaultRegion,
      ownerId: accountId,
      ipPermissions: [],
      ipPermissionsEgress: [allowAllEgress()],
    })),
    instances: withTags(s.instances, (x) => ({ region: x.region ?? defaultRegion, blockDeviceMapping: [], securityGroupIds: [], modifications: [], launchParams: {} })),
    volumes: withTags(s.volumes, (v) => ({ region: v.region ?? defaultRegion, attachments: [], state: "available", encrypted: false, createTime: nowIso() })),
    snapshots: withTags(s.snapshots, (x) => ({
      region: x.region ?? defaultRegion,
      state: "completed",
      progress: "100%",
      startTime: nowIso(),
      ownerId: accountId,
      description: "",
      encrypted: false,
      volumeSize: 8,
      modifications: [],
    })),
    instanceProfiles:
      s.instanceProfiles === undefined || s.instanceProfiles === null
        ? null
        : s.instanceProfiles.map((/** @type {any} */ p) => (typeof p === "string" ? profileFor(accountId, p) : { ...profileFor(accountId, p.instanceProfileName), ...p })),
    caller: s.caller ?? { arn: `arn:aws:iam::${accountId}:user/arv-image-test`, userId: "AIDAMOCKEC2USER000001" },
    faults: s.faults ?? {},
  };
}

/** @returns {IpPermission} */
function allowAllEgress() {
  return { ipProtocol: "-1", ipRanges: [{ cidrIp: "0.0.0.0/0" }], groups: [] };
}

/** @param {string} accountId @param {string} name @returns {InstanceProfile} */
function profileFor(accountId, name) {
  return {
    instanceProfileName: name,
    instanceProfileId: stableId("AIPA", name).replace("-", "").toUpperCase().slice(0, 21),
    arn: `arn:aws:iam::${accountId}:instance-profile/${name}`,
    path: "/",
    roles: [{ roleName: name, roleId: stableId("AROA", name).replace("-", "").toUpperCase().slice(0, 21), arn: `arn:aws:iam::${accountId}:role/${name}`, path: "/" }],
  };
}

// ---------------------------------------------------------------------------------------------
// Key material

const generateKeyPair = promisify(crypto.generateKeyPair);

/** @param {Buffer | string} b */
function sshString(b) {
  const buf = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

/** @param {Buffer} b big-endian unsigned */
function sshMpint(b) {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const trimmed = b.subarray(i);
  return sshString((trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** Public key blob (RFC 4253) of an RSA or Ed25519 node KeyObject. @param {crypto.KeyObject} pub */
function publicBlob(pub) {
  const jwk = pub.export({ format: "jwk" });
  if (jwk.kty === "RSA") {
    return { type: "ssh-rsa", blob: Buffer.concat([sshString("ssh-rsa"), sshMpint(Buffer.from(String(jwk.e), "base64url")), sshMpint(Buffer.from(String(jwk.n), "base64url"))]) };
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    return { type: "ssh-ed25519", blob: Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(String(jwk.x), "base64url"))]) };
  }
  return undefined;
}

/**
 * An unencrypted OpenSSH ("openssh-key-v1") private key, the form AWS returns for ed25519 key pairs.
 * @param {crypto.KeyObject} priv
 */
function opensshEd25519(priv) {
  const jwk = priv.export({ format: "jwk" });
  const seed = Buffer.from(String(jwk.d), "base64url");
  const pub = Buffer.from(String(jwk.x), "base64url");
  const pubBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = crypto.randomBytes(4);
  let section = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString("")]);
  const pad = [];
  for (let i = 1; (section.length + pad.length) % 8 !== 0; i++) pad.push(i);
  section = Buffer.concat([section, Buffer.from(pad)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), count, sshString(pubBlob), sshString(section)]);
  const b64 = body.toString("base64").replace(/.{1,70}/g, "$&\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`;
}

/**
 * Make key material the way AWS does: RSA 2048 as a PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"),
 * ed25519 in OpenSSH format. Both parse with golang.org/x/crypto/ssh and with ssh-keygen.
 * @param {string} keyType
 */
async function generateKeyMaterial(keyType) {
  if (keyType === "ed25519") {
    const { privateKey, publicKey } = await generateKeyPair("ed25519");
    const pb = /** @type {{ type: string, blob: Buffer }} */ (publicBlob(publicKey));
    return {
      keyMaterial: opensshEd25519(privateKey),
      publicKey: `${pb.type} ${pb.blob.toString("base64")}`,
      keyFingerprint: `${crypto.createHash("sha256").update(pb.blob).digest("base64")}`,
    };
  }
  const { privateKey, publicKey } = await generateKeyPair("rsa", { modulusLength: 2048 });
  const pb = /** @type {{ type: string, blob: Buffer }} */ (publicBlob(publicKey));
  const der = privateKey.export({ type: "pkcs8", format: "der" });
  return {
    keyMaterial: String(privateKey.export({ type: "pkcs1", format: "pem" })),
    publicKey: `${pb.type} ${pb.blob.toString("base64")}`,
    // AWS: SHA-1 of the DER PKCS#8 private key for key pairs it created.
    keyFingerprint: crypto
      .createHash("sha1")
      .update(der)
      .digest("hex")
      .replace(/(..)(?!$)/g, "$1:"),
  };
}

/**
 * Describe caller-supplied key material: its public key (when derivable) and a fingerprint.
 * @param {string} material
 */
function describeKeyMaterial(material) {
  /** @type {{ publicKey?: string, keyType: string, keyFingerprint: string }} */
  const out = {
    keyType: "rsa",
    keyFingerprint: crypto
      .createHash("sha1")
      .update(material)
      .digest("hex")
      .replace(/(..)(?!$)/g, "$1:"),
  };
  try {
    if (material.includes("BEGIN OPENSSH PRIVATE KEY")) {
      const b64 = material.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
      const buf = Buffer.from(b64, "base64");
      let off = "openssh-key-v1\0".length;
      const readString = () => {
        const len = buf.readUInt32BE(off);
        const s = buf.subarray(off + 4, off + 4 + len);
        off += 4 + len;
        return s;
      };
      readString(); // cipher
      readString(); // kdf
      readString(); // kdf options
      off += 4; // number of keys
      const blob = readString();
      const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
      out.publicKey = `${type} ${blob.toString("base64")}`;
      out.keyType = type === "ssh-ed25519" ? "ed25519" : "rsa";
      out.keyFingerprint = crypto.createHash("sha256").update(blob).digest("base64");
    } else {
      const pb = publicBlob(crypto.createPublicKey(material));
      if (pb) {
        out.publicKey = `${pb.type} ${pb.blob.toString("base64")}`;
        out.keyType = pb.type === "ssh-ed25519" ? "ed25519" : "rsa";
      }
    }
  } catch {
    // Not parseable here: still returned verbatim by CreateKeyPair.
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SigV4

/** @param {string} s */
function uriEscape(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** @param {crypto.BinaryLike} key @param {string} data */
function hmac(key, data) {
  return crypto.createHmac("sha256", key).update(data).digest();
}

/** @param {string | Buffer} data */
function sha256hex(data) {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** @param {string | undefined} header */
function parseAuthorization(header) {
  if (!header) return undefined;
  const m = /^AWS4-HMAC-SHA256\s+(.+)$/.exec(header.trim());
  if (!m) return undefined;
  /** @type {Record<string, string>} */
  const parts = {};
  for (const kv of /** @type {string} */ (m[1]).split(",")) {
    const i = kv.indexOf("=");
    if (i > 0) parts[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  const scope = (parts.Credential ?? "").split("/");
  if (scope.length !== 5 || !parts.SignedHeaders || !parts.Signature) return undefined;
  const [accessKeyId, date, region, service, terminator] = /** @type {[string, string, string, string, string]} */ (scope);
  return { accessKeyId, date, region, service, terminator, signedHeaders: parts.SignedHeaders.split(";"), signature: parts.Signature };
}

/**
 * Recompute the SigV4 signature of a request and compare. Throws ApiError on any mismatch.
 * @param {http.IncomingMessage} req @param {Buffer} body @param {Credentials[]} creds
 * @param {string} service expected signing name @param {number} maxSkewMs
 */
function verifySigV4(req, body, creds, service, maxSkewMs) {
  const global = service !== "ec2";
  const badKey = () =>
    global
      ? fail("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
      : fail("AuthFailure", "AWS was not able to validate the provided access credentials", 401);
  const mismatch = (/** @type {string} */ why) => fail("SignatureDoesNotMatch", why, 403);
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth) {
    if (req.headers.authorization)
      fail("IncompleteSignature", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters (AWS4-HMAC-SHA256 only).", global ? 403 : 401);
    return global ? fail("MissingAuthenticationToken", "Request is missing Authentication Token", 403) : badKey();
  }
  const cred = creds.find((c) => c.accessKeyId === auth.accessKeyId);
  if (!cred) return badKey();
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) return mismatch("Missing or malformed X-Amz-Date header.");
  if (auth.terminator !== "aws4_request" || auth.date !== amzDate.slice(0, 8)) return mismatch("Credential scope does not match the request date.");
  if (auth.service !== service) return mismatch(`Credential should be scoped to correct service: '${service}'.`);
  if (!auth.signedHeaders.includes("host")) return mismatch("'Host' must be a signed header.");
  const when = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(Date.now() - when) > maxSkewMs) {
    return global
      ? mismatch(`Signature expired: ${amzDate} is now earlier or later than the allowed clock skew.`)
      : fail("RequestExpired", `Request has expired. Timestamp date is ${amzDate}`);
  }
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  const rawQuery = q >= 0 ? rawUrl.slice(q + 1) : "";
  // Non-S3 services: the path as sent (already encoded) is encoded once more, segment by segment.
  const canonicalUri = rawPath.split("/").map(uriEscape).join("/") || "/";
  const canonicalQuery = rawQuery
    .split("&")
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf("=");
      const k = decodeURIComponent((i >= 0 ? kv.slice(0, i) : kv).replace(/\+/g, " "));
      const v = decodeURIComponent((i >= 0 ? kv.slice(i + 1) : "").replace(/\+/g, " "));
      return { k: uriEscape(k), v: uriEscape(v) };
    })
    .filter(({ k }) => k !== "X-Amz-Signature")
    .sort((a, b) => (a.k === b.k ? (a.v < b.v ? -1 : 1) : a.k < b.k ? -1 : 1))
    .map(({ k, v }) => `${k}=${v}`)
    .join("&");
  let canonicalHeaders = "";
  for (const name of auth.signedHeaders) {
    const values = req.headersDistinct[name];
    if (!values) return mismatch(`Signed header '${name}' is missing from the request.`);
    canonicalHeaders += `${name}:${values.map((v) => v.trim().replace(/\s+/g, " ")).join(",")}\n`;
  }
  const payloadHash = req.headers["x-amz-content-sha256"] === "UNSIGNED-PAYLOAD" ? "UNSIGNED-PAYLOAD" : sha256hex(body);
  const canonicalRequest = [req.method ?? "POST", canonicalUri, canonicalQuery, canonicalHeaders, auth.signedHeaders.join(";"), payloadHash].join("\n");
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256hex(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${cred.secretAccessKey}`, auth.date);
  key = hmac(key, auth.region);
  key = hmac(key, auth.service);
  key = hmac(key, "aws4_request");
  const expected = Buffer.from(hmac(key, stringToSign).toString("hex"));
  const given = Buffer.from(auth.signature);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    mismatch(
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Projections to AWS XML

/** @param {BlockDeviceMapping} m */
function bdmXml(m) {
  return {
    deviceName: m.deviceName,
    virtualName: m.virtualName,
    noDevice: m.noDevice ? "" : undefined,
    ebs: m.ebs && {
      snapshotId: m.ebs.snapshotId,
      volumeSize: m.ebs.volumeSize,
      deleteOnTermination: m.ebs.deleteOnTermination,
      volumeType: m.ebs.volumeType,
      iops: m.ebs.iops,
      throughput: m.ebs.throughput,
      encrypted: m.ebs.encrypted,
      kmsKeyId: m.ebs.kmsKeyId,
    },
  };
}

/** @param {Image} i */
function imageXml(i) {
  return {
    imageId: i.imageId,
    imageLocation: `${i.ownerId}/${i.name}`,
    imageState: i.state,
    imageOwnerId: i.ownerId,
    creationDate: i.creationDate,
    isPublic: i.public,
    architecture: i.architecture,
    imageType: "machine",
    name: i.name,
    description: i.description || undefined,
    imageOwnerAlias: i.imageOwnerAlias,
    rootDeviceType: i.rootDeviceType,
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: i.blockDeviceMapping.map(bdmXml),
    virtualizationType: i.virtualizationType,
    tagSet: tagSet(i.tags),
    hypervisor: "xen",
    enaSupport: i.enaSupport,
    sriovNetSupport: i.sriovNetSupport,
    bootMode: i.bootMode,
    platformDetails: "Linux/UNIX",
    usageOperation: "RunInstances",
    sourceInstanceId: i.sourceInstanceId,
    sourceImageId: i.sourceImageId,
    sourceImageRegion: i.sourceRegion,
  };
}

/** @param {string} name */
function stateXml(name) {
  return { code: STATE_CODES[name] ?? 0, name };
}

/** @param {Ec2State} s @param {Instance} i */
function instanceXml(s, i) {
  const groups = i.securityGroupIds.map((id) => ({ groupId: id, groupName: s.securityGroups.find((g) => g.groupId === id)?.groupName }));
  const az = s.regions.find((r) => r.regionName === i.region)?.availabilityZones.find((z) => z.zoneName === i.availabilityZone);
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: `ip-${i.privateIpAddress.replace(/\./g, "-")}.ec2.internal`,
    reason: i.stateTransitionReason,
    keyName: i.keyName,
    amiLaunchIndex: i.amiLaunchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: i.availabilityZone, availabilityZoneId: az?.zoneId, groupName: "", tenancy: "default" },
    monitoring: { state: "disabled" },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIpAddress,
    ipAddress: i.state === "running" ? i.publicIpAddress : undefined,
    sourceDestCheck: true,
    groupSet: groups,
    architecture: i.architecture,
    rootDeviceType: i.rootDeviceType,
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: i.blockDeviceMapping.map((b) => ({
      deviceName: b.deviceName,
      ebs: { volumeId: b.volumeId, status: "attached", attachTime: b.attachTime, deleteOnTermination: b.deleteOnTermination },
    })),
    virtualizationType: i.virtualizationType,
    clientToken: i.clientToken,
    tagSet: tagSet(i.tags),
    hypervisor: "xen",
    iamInstanceProfile: i.iamInstanceProfile && { arn: i.iamInstanceProfile.arn, id: i.iamInstanceProfile.id },
    ebsOptimized: i.ebsOptimized,
    enaSupport: i.enaSupport,
    sriovNetSupport: i.sriovNetSupport,
    metadataOptions: { state: "applied", ...i.metadataOptions },
    stateReason:
      i.state === "stopped" || i.state === "terminated" ? { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" } : undefined,
    networkInterfaceSet:
      i.state === "terminated" || !i.subnetId
        ? []
        : [
            {
              networkInterfaceId: stableId("eni", i.instanceId),
              subnetId: i.subnetId,
              vpcId: i.vpcId,
              ownerId: s.accountId,
              status: "in-use",
              privateIpAddress: i.privateIpAddress,
              sourceDestCheck: true,
              groupSet: groups,
              attachment: { attachmentId: stableId("eni-attach", i.instanceId), deviceIndex: 0, status: "attached", attachTime: i.launchTime, deleteOnTermination: true },
              association: i.publicIpAddress ? { publicIp: i.publicIpAddress, publicDnsName: "", ipOwnerId: "amazon" } : undefined,
            },
          ],
  };
}

/** @param {Volume} v */
function volumeXml(v) {
  return {
    volumeId: v.volumeId,
    size: v.size,
    snapshotId: v.snapshotId ?? "",
    availabilityZone: v.availabilityZone,
    status: v.state,
    createTime: v.createTime,
    attachmentSet: v.attachments.map((a) => ({
      volumeId: v.volumeId,
      instanceId: a.instanceId,
      device: a.device,
      status: a.state,
      attachTime: a.attachTime,
      deleteOnTermination: a.deleteOnTermination,
    })),
    volumeType: v.volumeType,
    iops: v.iops,
    throughput: v.throughput,
    encrypted: v.encrypted,
    kmsKeyId: v.kmsKeyId,
    tagSet: tagSet(v.tags),
    multiAttachEnabled: false,
  };
}

/** @param {Snapshot} x */
function snapshotXml(x) {
  return {
    snapshotId: x.snapshotId,
    volumeId: x.volumeId,
    status: x.state,
    startTime: x.startTime,
    progress: x.progress,
    ownerId: x.ownerId,
    volumeSize: x.volumeSize,
    description: x.description,
    encrypted: x.encrypted,
    tagSet: tagSet(x.tags),
    storageTier: "standard",
  };
}

/** @param {IpPermission} p */
function permissionXml(p) {
  return {
    ipProtocol: p.ipProtocol,
    fromPort: p.fromPort,
    toPort: p.toPort,
    groups: p.groups.map((g) => ({ groupId: g.groupId })),
    ipRanges: p.ipRanges.map((r) => ({ cidrIp: r.cidrIp, description: r.description })),
    ipv6Ranges: [],
    prefixListIds: [],
  };
}

// ---------------------------------------------------------------------------------------------
// EC2 actions

/**
 * @typedef {object} Ctx
 * @property {Ec2State} state
 * @property {Params} p
 * @property {string} region
 * @property {Required<Pick<Ec2ServerOptions, "publicIpAddress" | "privateIpAddress">> & { keyMaterial?: string }} opts
 */
/** @typedef {(ctx: Ctx) => XmlObject | Promise<XmlObject>} Handler */

/** @param {Ctx} ctx @param {string} resourceType */
function tagSpecs(ctx, resourceType) {
  /** @type {Tag[]} */
  const out = [];
  for (const spec of ctx.p.structs("TagSpecification")) {
    if (spec.get("ResourceType") !== resourceType) continue;
    upsertTags(
      out,
      spec.structs("Tag").map((t) => ({ key: t.get("Key") ?? "", value: t.get("Value") ?? "" })),
    );
  }
  return out;
}

/** @param {Params} p @param {string} prefix @returns {BlockDeviceMapping[]} */
function requestedMappings(p, prefix) {
  return p.structs(prefix).map((m) => {
    const ebs = m.sub("Ebs");
    /** @type {BlockDeviceMapping} */
    const out = { deviceName: m.get("DeviceName") ?? "" };
    if (m.get("NoDevice") !== undefined) out.noDevice = true;
    if (m.get("VirtualName")) out.virtualName = m.get("VirtualName");
    if (ebs.size > 0) {
      const volumeType = ebs.get("VolumeType");
      if (volumeType !== undefined && !VOLUME_TYPES.includes(volumeType))
        fail("InvalidParameterValue", `Value (${volumeType}) for parameter volumeType is invalid. Valid values are: ${VOLUME_TYPES.join(", ")}`);
      out.ebs = Object.fromEntries(
        Object.entries({
          snapshotId: ebs.get("SnapshotId"),
          volumeSize: int(ebs.get("VolumeSize"), "VolumeSize"),
          volumeType,
          iops: int(ebs.get("Iops"), "Iops"),
          throughput: int(ebs.get("Throughput"), "Throughput"),
          deleteOnTermination: bool(ebs.get("DeleteOnTermination")),
          encrypted: bool(ebs.get("Encrypted")),
          kmsKeyId: ebs.get("KmsKeyId"),
        }).filter(([, v]) => v !== undefined),
      );
    }
    return out;
  });
}

/**
 * Image mappings overlaid with request mappings by device name.
 * @param {BlockDeviceMapping[]} base @param {BlockDeviceMapping[]} overrides
 */
function overlayMappings(base, overrides) {
  /** @type {BlockDeviceMapping[]} */
  const out = base.map((m) => ({ ...m, ...(m.ebs ? { ebs: { ...m.ebs } } : {}) }));
  for (const o of overrides) {
    const i = out.findIndex((m) => m.deviceName === o.deviceName);
    if (o.noDevice) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) {
      const cur = /** @type {BlockDeviceMapping} */ (out[i]);
      out[i] = { ...cur, ...o, ...(cur.ebs || o.ebs ? { ebs: { ...cur.ebs, ...o.ebs } } : {}) };
    } else out.push(o);
  }
  return out;
}

/** @param {Ctx} ctx */
function regionImages(ctx) {
  return ctx.state.images.filter((i) => i.region === ctx.region);
}

/** @param {Ctx} ctx @param {string} id */
function findImage(ctx, id) {
  if (!wellFormed(id, "ami")) fail("InvalidAMIID.Malformed", `Invalid id: "${id}" (expecting "ami-...")`);
  return regionImages(ctx).find((i) => i.imageId === id) ?? fail("InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`);
}

/** @param {Ctx} ctx @param {string} id */
function findInstance(ctx, id) {
  if (!wellFormed(id, "i")) fail("InvalidInstanceID.Malformed", `Invalid id: "${id}"`);
  return ctx.state.instances.find((i) => i.instanceId === id && i.region === ctx.region) ?? fail("InvalidInstanceID.NotFound", notFoundMessage([id], "instance ID"));
}

/** @param {Ctx} ctx @param {string} id */
function findGroup(ctx, id) {
  return ctx.state.securityGroups.find((g) => g.groupId === id && g.region === ctx.region) ?? fail("InvalidGroup.NotFound", `The security group '${id}' does not exist`);
}

/** @param {Ctx} ctx @returns {Record<string, string[]>} AZ name -> types */
function offeringsByAz(ctx) {
  const region = ctx.state.regions.find((r) => r.regionName === ctx.region);
  /** @type {Record<string, string[]>} */
  const out = {};
  for (const z of region?.availabilityZones ?? []) out[z.zoneName] = ctx.state.instanceTypeOfferings[z.zoneName] ?? ctx.state.instanceTypes;
  return out;
}

/** @param {Ctx} ctx @param {string} name */
function checkImageName(ctx, name) {
  if (name.length < 3 || name.length > 128 || !/^[a-zA-Z0-9()[\] ./\-'@_]+$/.test(name)) {
    fail("InvalidAMIName.Malformed", "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'");
  }
  const dup = regionImages(ctx).find((i) => i.name === name && i.ownerId === ctx.state.accountId);
  if (dup) fail("InvalidAMIName.Duplicate", `AMI name ${name} is already in use by AMI ${dup.imageId}`);
}

/**
 * Snapshot every EBS mapping (recording the source volume when known); returns the image's mappings.
 * @param {Ctx} ctx @param {Array<BlockDeviceMapping & { volumeId?: string }>} mappings @param {string} imageId @param {string} description
 * @returns {BlockDeviceMapping[]}
 */
function snapshotMappings(ctx, mappings, imageId, description) {
  const snapTags = tagSpecs(ctx, "snapshot");
  return mappings.map((m) => {
    if (!m.ebs) return m;
    const snapshotId = newId("snap");
    ctx.state.snapshots.push({
      snapshotId,
      volumeId: m.volumeId ?? "vol-ffffffff",
      volumeSize: m.ebs.volumeSize ?? 8,
      state: "completed",
      progress: "100%",
      startTime: nowIso(),
      ownerId: ctx.state.accountId,
      description: description.replace("$SNAP", snapshotId).replace("$AMI", imageId),
      encrypted: m.ebs.encrypted ?? false,
      region: ctx.region,
      tags: snapTags.map((t) => ({ ...t })),
      modifications: [],
    });
    const { volumeId: _drop, ...rest } = m;
    return { ...rest, ebs: { ...m.ebs, snapshotId } };
  });
}

/** @type {Record<string, Handler>} */
const EC2 = {
  DescribeRegions(ctx) {
    const names = ctx.p.list("RegionName");
    for (const n of names) if (!ctx.state.regions.some((r) => r.regionName === n)) fail("InvalidParameterValue", `Invalid region: ${n}`);
    /** @type {Array<Region & { tags?: Tag[] }>} */
    let regions = ctx.state.regions.filter((r) => !names.length || names.includes(r.regionName));
    regions = applyFilters(regions, filtersOf(ctx.p), {
      "region-name": (r) => r.regionName,
      endpoint: (r) => `ec2.${r.regionName}.amazonaws.com`,
      "opt-in-status": () => "opt-in-not-required",
    });
    return { regionInfo: regions.map((r) => ({ regionName: r.regionName, regionEndpoint: `ec2.${r.regionName}.amazonaws.com`, optInStatus: "opt-in-not-required" })) };
  },

  DescribeAvailabilityZones(ctx) {
    const region = ctx.state.regions.find((r) => r.regionName === ctx.region);
    const zones = (region?.availabilityZones ?? []).map((z) => ({ ...z, regionName: ctx.region }));
    const names = ctx.p.list("ZoneName");
    const ids = ctx.p.list("ZoneId");
    const unknown = [...names.filter((n) => !zones.some((z) => z.zoneName === n)), ...ids.filter((n) => !zones.some((z) => z.zoneId === n))];
    if (unknown.length) fail("InvalidParameterValue", `Invalid availability zone: [${unknown.join(", ")}]`);
    /** @type {Array<AvailabilityZone & { regionName: string, tags?: Tag[] }>} */
    let out = zones.filter((z) => (!names.length && !ids.length) || names.includes(z.zoneName) || ids.includes(z.zoneId));
    out = applyFilters(out, filtersOf(ctx.p), {
      "zone-name": (z) => z.zoneName,
      "zone-id": (z) => z.zoneId,
      "region-name": (z) => z.regionName,
      state: (z) => z.state,
      "zone-type": () => "availability-zone",
      "group-name": (z) => z.regionName,
      "opt-in-status": () => "opt-in-not-required",
    });
    return {
      availabilityZoneInfo: out.map((z) => ({
        zoneName: z.zoneName,
        zoneId: z.zoneId,
        zoneState: z.state,
        regionName: z.regionName,
        groupName: z.regionName,
        networkBorderGroup: z.regionName,
        zoneType: "availability-zone",
        optInStatus: "opt-in-not-required",
        messageSet: [],
      })),
    };
  },

  DescribeInstanceTypeOfferings(ctx) {
    const locationType = ctx.p.get("LocationType") ?? "region";
    const byAz = offeringsByAz(ctx);
    const region = ctx.state.regions.find((r) => r.regionName === ctx.region);
    /** @type {Array<{ instanceType: string, locationType: string, location: string, tags?: Tag[] }>} */
    let items = [];
    if (locationType === "region") {
      const types = [...new Set(Object.values(byAz).flat())];
      items = types.map((t) => ({ instanceType: t, locationType, location: ctx.region }));
    } else if (locationType === "availability-zone" || locationType === "availability-zone-id") {
      for (const [az, types] of Object.entries(byAz)) {
        const location = locationType === "availability-zone" ? az : (region?.availabilityZones.find((z) => z.zoneName === az)?.zoneId ?? az);
        for (const t of types) items.push({ instanceType: t, locationType, location });
      }
    } else
      fail("InvalidParameterValue", `Value (${locationType}) for parameter locationType is invalid. Valid values are: region, availability-zone, availability-zone-id, outpost`);
    items = applyFilters(items, filtersOf(ctx.p), { location: (o) => o.location, "instance-type": (o) => o.instanceType });
    const { page, nextToken } = paginate(items, ctx.p);
    return { instanceTypeOfferingSet: page.map((o) => ({ instanceType: o.instanceType, locationType: o.locationType, location: o.location })), nextToken };
  },

  DescribeImages(ctx) {
    const ids = ctx.p.list("ImageId");
    for (const id of ids) if (!wellFormed(id, "ami")) fail("InvalidAMIID.Malformed", `Invalid id: "${id}" (expecting "ami-...")`);
    let images = regionImages(ctx);
    if (ids.length) {
      const missing = ids.filter((id) => !images.some((i) => i.imageId === id));
      if (missing.length) fail("InvalidAMIID.NotFound", `The image id '[${missing.join(", ")}]' does not exist`);
      images = images.filter((i) => ids.includes(i.imageId));
    }
    const owners = ctx.p.list("Owner");
    if (owners.length) {
      images = images.filter((i) => owners.some((o) => (o === "self" ? i.ownerId === ctx.state.accountId : i.ownerId === o || i.imageOwnerAlias === o)));
    }
    images = applyFilters(images, filtersOf(ctx.p), {
      name: (i) => i.name,
      "image-id": (i) => i.imageId,
      architecture: (i) => i.architecture,
      state: (i) => i.state,
      "root-device-type": (i) => i.rootDeviceType,
      "root-device-name": (i) => i.rootDeviceName,
      "virtualization-type": (i) => i.virtualizationType,
      "owner-id": (i) => i.ownerId,
      "owner-alias": (i) => i.imageOwnerAlias,
      "is-public": (i) => i.public,
      description: (i) => i.description,
      "image-type": () => "machine",
      hypervisor: () => "xen",
      "ena-support": (i) => i.enaSupport,
      "block-device-mapping.snapshot-id": (i) => i.blockDeviceMapping.map((m) => m.ebs?.snapshotId),
      "block-device-mapping.volume-type": (i) => i.blockDeviceMapping.map((m) => m.ebs?.volumeType),
      "block-device-mapping.device-name": (i) => i.blockDeviceMapping.map((m) => m.deviceName),
    });
    const { page, nextToken } = paginate(images, ctx.p);
    return { imagesSet: page.map(imageXml), nextToken };
  },

  DescribeVpcs(ctx) {
    const ids = ctx.p.list("VpcId");
    let vpcs = ctx.state.vpcs.filter((v) => v.region === ctx.region);
    const missing = ids.filter((id) => !vpcs.some((v) => v.vpcId === id));
    if (missing.length) fail("InvalidVpcID.NotFound", notFoundMessage(missing, "vpc ID"));
    if (ids.length) vpcs = vpcs.filter((v) => ids.includes(v.vpcId));
    vpcs = applyFilters(vpcs, filtersOf(ctx.p), {
      "vpc-id": (v) => v.vpcId,
      "is-default": (v) => v.isDefault,
      isDefault: (v) => v.isDefault,
      state: (v) => v.state,
      "cidr-block": (v) => v.cidrBlock,
      cidr: (v) => v.cidrBlock,
      cidrBlock: (v) => v.cidrBlock,
      "cidr-block-association.cidr-block": (v) => v.cidrBlock,
      "owner-id": (v) => v.ownerId,
    });
    const { page, nextToken } = paginate(vpcs, ctx.p);
    return {
      vpcSet: page.map((v) => ({
        vpcId: v.vpcId,
        ownerId: v.ownerId,
        state: v.state,
        cidrBlock: v.cidrBlock,
        cidrBlockAssociationSet: [{ associationId: stableId("vpc-cidr-assoc", v.vpcId), cidrBlock: v.cidrBlock, cidrBlockState: { state: "associated" } }],
        dhcpOptionsId: stableId("dopt", v.region),
        instanceTenancy: "default",
        isDefault: v.isDefault,
        tagSet: tagSet(v.tags),
      })),
      nextToken,
    };
  },

  DescribeSubnets(ctx) {
    const ids = ctx.p.list("SubnetId");
    let subnets = ctx.state.subnets.filter((s) => s.region === ctx.region);
    const missing = ids.filter((id) => !subnets.some((s) => s.subnetId === id));
    if (missing.length) fail("InvalidSubnetID.NotFound", notFoundMessage(missing, "subnet ID"));
    if (ids.length) subnets = subnets.filter((s) => ids.includes(s.subnetId));
    const zoneId = (/** @type {string} */ az) => ctx.state.regions.flatMap((r) => r.availabilityZones).find((z) => z.zoneName === az)?.zoneId;
    subnets = applyFilters(subnets, filtersOf(ctx.p), {
      "vpc-id": (s) => s.vpcId,
      "subnet-id": (s) => s.subnetId,
      "availability-zone": (s) => s.availabilityZone,
      availabilityZone: (s) => s.availabilityZone,
      "availability-zone-id": (s) => zoneId(s.availabilityZone),
      state: (s) => s.state,
      "cidr-block": (s) => s.cidrBlock,
      cidr: (s) => s.cidrBlock,
      cidrBlock: (s) => s.cidrBlock,
      "default-for-az": (s) => s.defaultForAz,
      defaultForAz: (s) => s.defaultForAz,
      "map-public-ip-on-launch": (s) => s.mapPublicIpOnLaunch,
      "available-ip-address-count": (s) => s.availableIpAddressCount,
      "owner-id": (s) => s.ownerId,
    });
    const { page, nextToken } = paginate(subnets, ctx.p);
    return {
      subnetSet: page.map((s) => ({
        subnetId: s.subnetId,
        subnetArn: `arn:aws:ec2:${s.region}:${s.ownerId}:subnet/${s.subnetId}`,
        state: s.state,
        ownerId: s.ownerId,
        vpcId: s.vpcId,
        cidrBlock: s.cidrBlock,
        availableIpAddressCount: s.availableIpAddressCount,
        availabilityZone: s.availabilityZone,
        availabilityZoneId: zoneId(s.availabilityZone),
        defaultForAz: s.defaultForAz,
        mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
        tagSet: tagSet(s.tags),
      })),
      nextToken,
    };
  },

  async CreateKeyPair(ctx) {
    const keyName = ctx.p.require("KeyName");
    const keyType = ctx.p.get("KeyType") ?? "rsa";
    if (keyType !== "rsa" && keyType !== "ed25519") fail("InvalidParameterValue", `Value (${keyType}) for parameter keyType is invalid. Valid values are: rsa, ed25519`);
    const format = ctx.p.get("KeyFormat") ?? "pem";
    if (format !== "pem" && format !== "ppk") fail("InvalidParameterValue", `Value (${format}) for parameter keyFormat is invalid. Valid values are: pem, ppk`);
    if (ctx.state.keyPairs.some((k) => k.keyName === keyName && k.region === ctx.region)) fail("InvalidKeyPair.Duplicate", `The keypair '${keyName}' already exists.`);
    const made = ctx.opts.keyMaterial ? { keyMaterial: ctx.opts.keyMaterial, ...describeKeyMaterial(ctx.opts.keyMaterial) } : { ...(await generateKeyMaterial(keyType)), keyType };
    // The name may have been taken while a key was being generated.
    if (ctx.state.keyPairs.some((k) => k.keyName === keyName && k.region === ctx.region)) fail("InvalidKeyPair.Duplicate", `The keypair '${keyName}' already exists.`);
    /** @type {KeyPair} */
    const kp = {
      keyName,
      keyPairId: newId("key"),
      keyFingerprint: made.keyFingerprint,
      keyType: made.keyType,
      createTime: nowIso(),
      region: ctx.region,
      tags: tagSpecs(ctx, "key-pair"),
      ...(made.publicKey ? { publicKey: made.publicKey } : {}),
    };
    ctx.state.keyPairs.push(kp);
    return { keyName, keyFingerprint: kp.keyFingerprint, keyMaterial: made.keyMaterial, keyPairId: kp.keyPairId, tagSet: tagSet(kp.tags) };
  },

  DeleteKeyPair(ctx) {
    const name = ctx.p.get("KeyName");
    const id = ctx.p.get("KeyPairId");
    if (!name && !id) fail("MissingParameter", "The request must contain the parameter KeyName or KeyPairId");
    const i = ctx.state.keyPairs.findIndex((k) => k.region === ctx.region && (id ? k.keyPairId === id : k.keyName === name));
    if (i < 0 && id) fail("InvalidKeyPair.NotFound", `The key pair '${id}' does not exist`);
    const removed = i >= 0 ? ctx.state.keyPairs.splice(i, 1)[0] : undefined;
    return { return: true, keyPairId: removed?.keyPairId };
  },

  DescribeKeyPairs(ctx) {
    const names = ctx.p.list("KeyName");
    const ids = ctx.p.list("KeyPairId");
    let keys = ctx.state.keyPairs.filter((k) => k.region === ctx.region);
    const missing = [...names.filter((n) => !keys.some((k) => k.keyName === n)), ...ids.filter((n) => !keys.some((k) => k.keyPairId === n))];
    if (missing.length) fail("InvalidKeyPair.NotFound", `The key pair '${missing[0]}' does not exist`);
    if (names.length || ids.length) keys = keys.filter((k) => names.includes(k.keyName) || ids.includes(k.keyPairId));
    keys = applyFilters(keys, filtersOf(ctx.p), {
      "key-name": (k) => k.keyName,
      "key-pair-id": (k) => k.keyPairId,
      fingerprint: (k) => k.keyFingerprint,
      "key-type": (k) => k.keyType,
    });
    const includePublic = bool(ctx.p.get("IncludePublicKey")) === true;
    return {
      keySet: keys.map((k) => ({
        keyPairId: k.keyPairId,
        keyName: k.keyName,
        keyFingerprint: k.keyFingerprint,
        keyType: k.keyType,
        createTime: k.createTime,
        publicKey: includePublic ? k.publicKey : undefined,
        tagSet: tagSet(k.tags),
      })),
    };
  },

  CreateSecurityGroup(ctx) {
    const groupName = ctx.p.require("GroupName");
    const description = ctx.p.require("GroupDescription");
    let vpcId = ctx.p.get("VpcId") ?? "";
    if (vpcId) {
      if (!ctx.state.vpcs.some((v) => v.vpcId === vpcId && v.region === ctx.region)) fail("InvalidVpcID.NotFound", notFoundMessage([vpcId], "vpc ID"));
    } else {
      vpcId = ctx.state.vpcs.find((v) => v.isDefault && v.region === ctx.region)?.vpcId ?? fail("VPCIdNotSpecified", "No default VPC for this user");
    }
    if (groupName.toLowerCase().startsWith("sg-")) fail("InvalidParameterValue", "Group names may not be in the format sg-*");
    if (ctx.state.securityGroups.some((g) => g.region === ctx.region && g.vpcId === vpcId && g.groupName === groupName)) {
      fail("InvalidGroup.Duplicate", `The security group '${groupName}' already exists for VPC '${vpcId}'`);
    }
    /** @type {SecurityGroup} */
    const g = {
      groupId: newId("sg"),
      groupName,
      description,
      vpcId,
      region: ctx.region,
      ownerId: ctx.state.accountId,
      ipPermissions: [],
      ipPermissionsEgress: [allowAllEgress()],
      tags: tagSpecs(ctx, "security-group"),
    };
    ctx.state.securityGroups.push(g);
    return { return: true, groupId: g.groupId, securityGroupArn: `arn:aws:ec2:${ctx.region}:${g.ownerId}:security-group/${g.groupId}`, tagSet: tagSet(g.tags) };
  },

  DescribeSecurityGroups(ctx) {
    const ids = ctx.p.list("GroupId");
    const names = ctx.p.list("GroupName");
    let groups = ctx.state.securityGroups.filter((g) => g.region === ctx.region);
    const missing = ids.filter((id) => !groups.some((g) => g.groupId === id));
    if (missing.length) fail("InvalidGroup.NotFound", `The security group '${missing.join(", ")}' does not exist`);
    const missingNames = names.filter((n) => !groups.some((g) => g.groupName === n));
    if (missingNames.length) fail("InvalidGroup.NotFound", `The security group '${missingNames.join(", ")}' does not exist in default VPC`);
    if (ids.length || names.length) groups = groups.filter((g) => ids.includes(g.groupId) || names.includes(g.groupName));
    groups = applyFilters(groups, filtersOf(ctx.p), {
      "group-id": (g) => g.groupId,
      "group-name": (g) => g.groupName,
      "vpc-id": (g) => g.vpcId,
      description: (g) => g.description,
      "owner-id": (g) => g.ownerId,
    });
    const { page, nextToken } = paginate(groups, ctx.p);
    return {
      securityGroupInfo: page.map((g) => ({
        ownerId: g.ownerId,
        groupId: g.groupId,
        groupName: g.groupName,
        groupDescription: g.description,
        vpcId: g.vpcId,
        securityGroupArn: `arn:aws:ec2:${g.region}:${g.ownerId}:security-group/${g.groupId}`,
        ipPermissions: g.ipPermissions.map(permissionXml),
        ipPermissionsEgress: g.ipPermissionsEgress.map(permissionXml),
        tagSet: tagSet(g.tags),
      })),
      nextToken,
    };
  },

  AuthorizeSecurityGroupIngress(ctx) {
    const id = ctx.p.get("GroupId");
    const name = ctx.p.get("GroupName");
    const g = id
      ? findGroup(ctx, id)
      : name
        ? (ctx.state.securityGroups.find((x) => x.region === ctx.region && x.groupName === name) ??
          fail("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC`))
        : fail("MissingParameter", "The request must contain the parameter groupName or groupId");
    /** @type {IpPermission[]} */
    const perms = ctx.p.structs("IpPermissions").map((x) => ({
      ipProtocol: x.get("IpProtocol") ?? "-1",
      fromPort: int(x.get("FromPort"), "FromPort"),
      toPort: int(x.get("ToPort"), "ToPort"),
      ipRanges: x.structs("IpRanges").map((r) => ({ cidrIp: r.get("CidrIp") ?? "", ...(r.get("Description") ? { description: r.get("Description") } : {}) })),
      groups: x.structs("Groups").map((r) => ({ groupId: r.get("GroupId") ?? "" })),
    }));
    if (ctx.p.get("IpProtocol") || ctx.p.get("CidrIp")) {
      perms.push({
        ipProtocol: ctx.p.get("IpProtocol") ?? "-1",
        fromPort: int(ctx.p.get("FromPort"), "FromPort"),
        toPort: int(ctx.p.get("ToPort"), "ToPort"),
        ipRanges: ctx.p.get("CidrIp") ? [{ cidrIp: /** @type {string} */ (ctx.p.get("CidrIp")) }] : [],
        groups: [],
      });
    }
    if (!perms.length) fail("MissingParameter", "The request must contain the parameter ipPermissions");
    /** @type {XmlObject[]} */
    const rules = [];
    for (const perm of perms) {
      const same = g.ipPermissions.find((x) => x.ipProtocol === perm.ipProtocol && x.fromPort === perm.fromPort && x.toPort === perm.toPort);
      for (const r of perm.ipRanges) {
        if (same?.ipRanges.some((x) => x.cidrIp === r.cidrIp)) {
          fail(
            "InvalidPermission.Duplicate",
            `the specified rule "peer: ${r.cidrIp}, ${perm.ipProtocol.toUpperCase()}, from port: ${perm.fromPort}, to port: ${perm.toPort}, ALLOW" already exists`,
          );
        }
      }
      if (same) {
        same.ipRanges.push(...perm.ipRanges);
        same.groups.push(...perm.groups);
      } else g.ipPermissions.push(perm);
      for (const r of perm.ipRanges) {
        rules.push({
          securityGroupRuleId: newId("sgr"),
          groupId: g.groupId,
          groupOwnerId: g.ownerId,
          isEgress: false,
          ipProtocol: perm.ipProtocol,
          fromPort: perm.fromPort ?? -1,
          toPort: perm.toPort ?? -1,
          cidrIpv4: r.cidrIp,
          description: r.description,
        });
      }
    }
    return { return: true, securityGroupRuleSet: rules };
  },

  DeleteSecurityGroup(ctx) {
    const id = ctx.p.get("GroupId");
    const name = ctx.p.get("GroupName");
    const g = id
      ? findGroup(ctx, id)
      : name
        ? (ctx.state.securityGroups.find((x) => x.region === ctx.region && x.groupName === name) ??
          fail("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC`))
        : fail("MissingParameter", "The request must contain the parameter groupName or groupId");
    if (ctx.state.instances.some((i) => i.state !== "terminated" && i.securityGroupIds.includes(g.groupId))) {
      fail("DependencyViolation", `resource ${g.groupId} has a dependent object`);
    }
    ctx.state.securityGroups.splice(ctx.state.securityGroups.indexOf(g), 1);
    return { return: true, groupId: g.groupId };
  },

  RunInstances(ctx) {
    const { p, state } = ctx;
    const clientToken = p.get("ClientToken");
    if (clientToken) {
      const prior = state.instances.filter((i) => i.clientToken === clientToken && i.region === ctx.region);
      if (prior.length) return reservationXml(state, prior);
    }
    const image = findImage(ctx, p.require("ImageId"));
    if (image.state !== "available") fail("InvalidAMIID.Unavailable", `Image ${image.imageId} is not available (state: ${image.state})`);
    const instanceType = p.get("InstanceType") ?? "m1.small";
    const count = int(p.get("MaxCount"), "MaxCount") ?? int(p.get("MinCount"), "MinCount") ?? 1;
    if (count < 1) fail("InvalidParameterValue", "MaxCount must be at least 1");
    const keyName = p.get("KeyName") || undefined;
    if (keyName && !state.keyPairs.some((k) => k.keyName === keyName && k.region === ctx.region)) fail("InvalidKeyPair.NotFound", `The key pair '${keyName}' does not exist`);

    const nic = p.structs("NetworkInterface").find((n) => (n.get("DeviceIndex") ?? "0") === "0") ?? new Params(new Map());
    const region = /** @type {Region} */ (state.regions.find((r) => r.regionName === ctx.region));
    let az = p.get("Placement.AvailabilityZone") || undefined;
    if (az && !region.availabilityZones.some((z) => z.zoneName === az)) fail("InvalidParameterValue", `Invalid availability zone: [${az}]`);
    const subnetId = p.get("SubnetId") || nic.get("SubnetId") || undefined;
    /** @type {Subnet | undefined} */
    let subnet;
    if (subnetId) {
      subnet = state.subnets.find((s) => s.subnetId === subnetId && s.region === ctx.region) ?? fail("InvalidSubnetID.NotFound", notFoundMessage([subnetId], "subnet ID"));
      if (az && az !== subnet.availabilityZone) fail("InvalidParameterValue", `Subnet ${subnet.subnetId} is in ${subnet.availabilityZone}, not ${az}`);
      az = subnet.availabilityZone;
    } else {
      const azName = az;
      subnet = state.subnets.find((s) => s.region === ctx.region && s.defaultForAz && (!azName || s.availabilityZone === azName));
      az = azName ?? subnet?.availabilityZone ?? /** @type {AvailabilityZone} */ (region.availabilityZones[0]).zoneName;
    }
    const offered = offeringsByAz(ctx)[az] ?? [];
    if (!offered.includes(instanceType)) {
      const elsewhere = Object.entries(offeringsByAz(ctx))
        .filter(([, t]) => t.includes(instanceType))
        .map(([z]) => z);
      if (!elsewhere.length) fail("InvalidParameterValue", `Invalid value '${instanceType}' for InstanceType.`);
      fail(
        "Unsupported",
        `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${az}). Please retry your request by not specifying an Availability Zone or choosing ${elsewhere.join(", ")}.`,
      );
    }
    const groupIds = [...p.list("SecurityGroupId"), ...nic.list("SecurityGroupId")];
    for (const id of groupIds) findGroup(ctx, id);
    for (const name of p.list("SecurityGroup")) {
      const g = state.securityGroups.find((x) => x.region === ctx.region && x.groupName === name && (!subnet || x.vpcId === subnet.vpcId));
      groupIds.push((g ?? fail("InvalidGroup.NotFound", `The security group '${name}' does not exist in VPC '${subnet?.vpcId ?? ""}'`)).groupId);
    }
    if (subnet && subnet.availableIpAddressCount < count)
      fail("InsufficientFreeAddressesInSubnet", `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);

    const requested = requestedMappings(p, "BlockDeviceMapping");
    const mappings = overlayMappings(image.rootDeviceType === "ebs" ? image.blockDeviceMapping : [], requested);
    for (const m of mappings) {
      if (!m.ebs || m.virtualName) continue;
      const snap = m.ebs.snapshotId ? state.snapshots.find((x) => x.snapshotId === m.ebs?.snapshotId) : undefined;
      const minSize = image.blockDeviceMapping.find((b) => b.deviceName === m.deviceName)?.ebs?.volumeSize ?? snap?.volumeSize ?? 1;
      if ((m.ebs.volumeSize ?? minSize) < minSize) {
        fail("InvalidBlockDeviceMapping", `Volume of size ${m.ebs.volumeSize}GB is smaller than snapshot '${m.ebs.snapshotId}', expect size >= ${minSize}GB`);
      }
    }
    let profile;
    const profileName = p.get("IamInstanceProfile.Name") ?? p.get("IamInstanceProfile.Arn")?.split("/").pop();
    if (profileName) {
      const known = state.instanceProfiles === null ? profileFor(state.accountId, profileName) : state.instanceProfiles.find((x) => x.instanceProfileName === profileName);
      if (!known) fail("InvalidParameterValue", `Value (${profileName}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
      profile = { arn: known.arn, id: known.instanceProfileId, name: known.instanceProfileName };
    }
    const associate = bool(nic.get("AssociatePublicIpAddress"));
    const publicIp = (associate ?? subnet?.mapPublicIpOnLaunch ?? true) ? ctx.opts.publicIpAddress : undefined;
    const reservationId = newId("r");
    const launchTime = nowIso();
    const instanceTags = tagSpecs(ctx, "instance");
    const volumeTags = tagSpecs(ctx, "volume");
    /** @type {Instance[]} */
    const created = [];
    for (let n = 0; n < count; n++) {
      const instanceId = newId("i");
      /** @type {InstanceBlockDevice[]} */
      const devices = [];
      for (const m of mappings) {
        if (!m.ebs || m.virtualName) continue;
        const volumeType = m.ebs.volumeType ?? "gp2";
        const size = m.ebs.volumeSize ?? 8;
        const deleteOnTermination = m.ebs.deleteOnTermination ?? true;
        /** @type {Volume} */
        const vol = {
          volumeId: newId("vol"),
          size,
          volumeType,
          snapshotId: m.ebs.snapshotId,
          availabilityZone: az,
          region: ctx.region,
          state: "in-use",
          iops: m.ebs.iops ?? (volumeType === "gp3" ? 3000 : volumeType === "gp2" ? Math.min(16000, Math.max(100, 3 * size)) : undefined),
          throughput: m.ebs.throughput ?? (volumeType === "gp3" ? 125 : undefined),
          encrypted: m.ebs.encrypted ?? false,
          ...(m.ebs.kmsKeyId ? { kmsKeyId: m.ebs.kmsKeyId } : {}),
          createTime: launchTime,
          attachments: [{ instanceId, device: m.deviceName, state: "attached", deleteOnTermination, attachTime: launchTime }],
          tags: volumeTags.map((t) => ({ ...t })),
        };
        state.volumes.push(vol);
        devices.push({ deviceName: m.deviceName, volumeId: vol.volumeId, deleteOnTermination, attachTime: launchTime });
      }
      /** @type {Instance} */
      const inst = {
        instanceId,
        reservationId,
        imageId: image.imageId,
        instanceType,
        state: "running",
        stateTransitionReason: "",
        launchTime,
        region: ctx.region,
        availabilityZone: az,
        privateIpAddress: ctx.opts.privateIpAddress,
        securityGroupIds: [...new Set(groupIds)],
        architecture: image.architecture,
        rootDeviceType: image.rootDeviceType,
        rootDeviceName: image.rootDeviceName,
        virtualizationType: image.virtualizationType,
        blockDeviceMapping: devices,
        requestedBlockDeviceMappings: requested,
        tags: instanceTags.map((t) => ({ ...t })),
        instanceInitiatedShutdownBehavior: p.get("InstanceInitiatedShutdownBehavior") ?? "stop",
        ebsOptimized: bool(p.get("EbsOptimized")) ?? false,
        enaSupport: image.enaSupport,
        metadataOptions: {
          httpTokens: p.get("MetadataOptions.HttpTokens") ?? "optional",
          httpEndpoint: p.get("MetadataOptions.HttpEndpoint") ?? "enabled",
          httpPutResponseHopLimit: int(p.get("MetadataOptions.HttpPutResponseHopLimit"), "HttpPutResponseHopLimit") ?? 1,
          instanceMetadataTags: p.get("MetadataOptions.InstanceMetadataTags") ?? "disabled",
        },
        amiLaunchIndex: n,
        launchParams: p.record(),
        modifications: [],
        ...(keyName ? { keyName } : {}),
        ...(subnet ? { subnetId: subnet.subnetId, vpcId: subnet.vpcId } : {}),
        ...(publicIp ? { publicIpAddress: publicIp } : {}),
        ...(image.sriovNetSupport ? { sriovNetSupport: image.sriovNetSupport } : {}),
        ...(profile ? { iamInstanceProfile: profile } : {}),
        ...(p.get("UserData") ? { userData: p.get("UserData") } : {}),
        ...(clientToken ? { clientToken } : {}),
      };
      if (subnet) subnet.availableIpAddressCount--;
      state.instances.push(inst);
      created.push(inst);
    }
    return reservationXml(state, created);
  },

  DescribeInstances(ctx) {
    const ids = ctx.p.list("InstanceId");
    for (const id of ids) if (!wellFormed(id, "i")) fail("InvalidInstanceID.Malformed", `Invalid id: "${id}"`);
    let instances = ctx.state.instances.filter((i) => i.region === ctx.region);
    const missing = ids.filter((id) => !instances.some((i) => i.instanceId === id));
    if (missing.length) fail("InvalidInstanceID.NotFound", notFoundMessage(missing, "instance ID"));
    if (ids.length) instances = instances.filter((i) => ids.includes(i.instanceId));
    instances = applyFilters(instances, filtersOf(ctx.p), {
      "instance-id": (i) => i.instanceId,
      "instance-state-name": (i) => i.state,
      "instance-state-code": (i) => STATE_CODES[i.state],
      "instance-type": (i) => i.instanceType,
      "image-id": (i) => i.imageId,
      "subnet-id": (i) => i.subnetId,
      "vpc-id": (i) => i.vpcId,
      "availability-zone": (i) => i.availabilityZone,
      "key-name": (i) => i.keyName,
      "reservation-id": (i) => i.reservationId,
      "instance.group-id": (i) => i.securityGroupIds,
      "private-ip-address": (i) => i.privateIpAddress,
      "ip-address": (i) => i.publicIpAddress,
      "client-token": (i) => i.clientToken,
    });
    const { page, nextToken } = paginate(instances, ctx.p);
    /** @type {Map<string, Instance[]>} */
    const byReservation = new Map();
    for (const i of page) byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
    return { reservationSet: [...byReservation.values()].map((group) => reservationXml(ctx.state, group)), nextToken };
  },

  StopInstances(ctx) {
    return transition(ctx, "stopped", (i) => {
      if (i.state === "terminated" || i.state === "shutting-down")
        fail("IncorrectInstanceState", `This instance '${i.instanceId}' is not in a state from which it can be stopped.`);
      i.stateTransitionReason = `User initiated (${nowIso().replace("T", " ").slice(0, 19)} GMT)`;
    });
  },

  StartInstances(ctx) {
    return transition(ctx, "running", (i) => {
      if (i.state !== "stopped" && i.state !== "running") fail("IncorrectInstanceState", `The instance '${i.instanceId}' is not in a state from which it can be started.`);
      i.stateTransitionReason = "";
    });
  },

  TerminateInstances(ctx) {
    return transition(ctx, "terminated", (i) => {
      if (i.state === "terminated") return;
      i.stateTransitionReason = `User initiated (${nowIso().replace("T", " ").slice(0, 19)} GMT)`;
      for (const dev of i.blockDeviceMapping) {
        const vi = ctx.state.volumes.findIndex((v) => v.volumeId === dev.volumeId);
        if (vi < 0) continue;
        const vol = /** @type {Volume} */ (ctx.state.volumes[vi]);
        if (dev.deleteOnTermination) ctx.state.volumes.splice(vi, 1);
        else {
          vol.attachments = vol.attachments.filter((a) => a.instanceId !== i.instanceId);
          vol.state = vol.attachments.length ? "in-use" : "available";
        }
      }
      i.blockDeviceMapping = [];
      const subnet = ctx.state.subnets.find((s) => s.subnetId === i.subnetId);
      if (subnet) subnet.availableIpAddressCount++;
    });
  },

  ModifyInstanceAttribute(ctx) {
    const inst = findInstance(ctx, ctx.p.require("InstanceId"));
    inst.modifications.push(ctx.p.record());
    const ena = bool(ctx.p.get("EnaSupport.Value"));
    if (ena !== undefined) inst.enaSupport = ena;
    const sriov = ctx.p.get("SriovNetSupport.Value");
    if (sriov) inst.sriovNetSupport = sriov;
    const type = ctx.p.get("InstanceType.Value");
    if (type) inst.instanceType = type;
    const attr = ctx.p.get("Attribute");
    const value = ctx.p.get("Value");
    if (attr === "instanceType" && value) inst.instanceType = value;
    if (attr === "enaSupport" && value) inst.enaSupport = value === "true";
    return { return: true };
  },

  CreateImage(ctx) {
    const inst = findInstance(ctx, ctx.p.require("InstanceId"));
    const name = ctx.p.require("Name");
    if (inst.state !== "running" && inst.state !== "stopped") fail("IncorrectInstanceState", `The instance '${inst.instanceId}' is not in a state from which it can be imaged.`);
    checkImageName(ctx, name);
    const imageId = newId("ami");
    /** @type {Array<BlockDeviceMapping & { volumeId?: string }>} */
    const fromInstance = inst.blockDeviceMapping.map((d) => {
      const vol = ctx.state.volumes.find((v) => v.volumeId === d.volumeId);
      return {
        deviceName: d.deviceName,
        volumeId: d.volumeId,
        ebs: Object.fromEntries(
          Object.entries({
            volumeSize: vol?.size ?? 8,
            volumeType: vol?.volumeType ?? "gp2",
            deleteOnTermination: d.deleteOnTermination,
            iops: vol?.volumeType === "gp2" ? undefined : vol?.iops,
            throughput: vol?.throughput,
            encrypted: vol?.encrypted ?? false,
          }).filter(([, v]) => v !== undefined),
        ),
      };
    });
    const mappings = snapshotMappings(
      ctx,
      overlayMappings(fromInstance, requestedMappings(ctx.p, "BlockDeviceMapping")),
      imageId,
      `Created by CreateImage(${inst.instanceId}) for $AMI`,
    );
    const source = ctx.state.images.find((i) => i.imageId === inst.imageId);
    /** @type {Image} */
    const image = {
      imageId,
      name,
      ownerId: ctx.state.accountId,
      state: "available",
      architecture: inst.architecture,
      rootDeviceType: inst.rootDeviceType,
      rootDeviceName: inst.rootDeviceName,
      virtualizationType: inst.virtualizationType,
      creationDate: nowIso(),
      description: ctx.p.get("Description") ?? "",
      blockDeviceMapping: mappings,
      tags: tagSpecs(ctx, "image"),
      region: ctx.region,
      public: false,
      enaSupport: inst.enaSupport,
      sourceInstanceId: inst.instanceId,
      launchPermissions: [],
      modifications: [],
      ...(inst.sriovNetSupport ? { sriovNetSupport: inst.sriovNetSupport } : {}),
      ...(source?.bootMode ? { bootMode: source.bootMode } : {}),
    };
    ctx.state.images.push(image);
    return { imageId };
  },

  CopyImage(ctx) {
    const sourceId = ctx.p.require("SourceImageId");
    const sourceRegion = ctx.p.require("SourceRegion");
    const name = ctx.p.require("Name");
    if (!ctx.state.regions.some((r) => r.regionName === sourceRegion)) fail("InvalidParameterValue", `Invalid region: ${sourceRegion}`);
    const source = findImage({ ...ctx, region: sourceRegion }, sourceId);
    checkImageName(ctx, name);
    const imageId = newId("ami");
    const mappings = snapshotMappings(
      ctx,
      source.blockDeviceMapping.map((m) => (m.ebs ? { ...m, ebs: { ...m.ebs, ...(bool(ctx.p.get("Encrypted")) ? { encrypted: true } : {}) } } : m)),
      imageId,
      `Copied for DestinationAmi ${imageId} from SourceAmi ${sourceId} for SourceSnapshot $SNAP. Task created on ${nowIso()}.`,
    );
    /** @type {Image} */
    const image = {
      ...source,
      imageId,
      name,
      ownerId: ctx.state.accountId,
      state: "available",
      creationDate: nowIso(),
      description: ctx.p.get("Description") ?? source.description,
      blockDeviceMapping: mappings,
      tags: bool(ctx.p.get("CopyImageTags")) ? source.tags.map((t) => ({ ...t })) : [],
      region: ctx.region,
      public: false,
      sourceImageId: sourceId,
      sourceRegion,
      launchPermissions: [],
      modifications: [],
    };
    delete image.imageOwnerAlias;
    upsertTags(image.tags, tagSpecs(ctx, "image"));
    ctx.state.images.push(image);
    return { imageId };
  },

  DeregisterImage(ctx) {
    const image = findImage(ctx, ctx.p.require("ImageId"));
    ctx.state.images.splice(ctx.state.images.indexOf(image), 1);
    /** @type {XmlObject[] | undefined} */
    let deleted;
    if (bool(ctx.p.get("DeleteAssociatedSnapshots"))) {
      deleted = [];
      for (const m of image.blockDeviceMapping) {
        const i = ctx.state.snapshots.findIndex((x) => x.snapshotId === m.ebs?.snapshotId);
        if (i < 0) continue;
        ctx.state.snapshots.splice(i, 1);
        deleted.push({ snapshotId: m.ebs?.snapshotId, returnCode: "success" });
      }
    }
    return { return: true, deleteSnapshotResultSet: deleted };
  },

  ModifyImageAttribute(ctx) {
    const image = findImage(ctx, ctx.p.require("ImageId"));
    image.modifications.push(ctx.p.record());
    const lp = ctx.p.sub("LaunchPermission");
    /** @type {(list: Params[], add: boolean) => void} */
    const apply = (list, add) => {
      for (const x of list) {
        const entry = x.get("UserId") ? { userId: /** @type {string} */ (x.get("UserId")) } : x.get("Group") ? { group: /** @type {string} */ (x.get("Group")) } : undefined;
        if (!entry) continue;
        const i = image.launchPermissions.findIndex((e) => e.userId === entry.userId && e.group === entry.group);
        if (add && i < 0) image.launchPermissions.push(entry);
        if (!add && i >= 0) image.launchPermissions.splice(i, 1);
      }
    };
    apply(lp.structs("Add"), true);
    apply(lp.structs("Remove"), false);
    const op = ctx.p.get("OperationType");
    if (op) {
      const legacy = [...ctx.p.list("UserId").map((u) => new Params(new Map([["UserId", u]]))), ...ctx.p.list("UserGroup").map((g) => new Params(new Map([["Group", g]])))];
      apply(legacy, op === "add");
    }
    image.public = image.launchPermissions.some((e) => e.group === "all");
    const desc = ctx.p.get("Description.Value");
    if (desc !== undefined) image.description = desc;
    return { return: true };
  },

  DescribeVolumes(ctx) {
    const ids = ctx.p.list("VolumeId");
    let volumes = ctx.state.volumes.filter((v) => v.region === ctx.region);
    const missing = ids.filter((id) => !volumes.some((v) => v.volumeId === id));
    if (missing.length) fail("InvalidVolume.NotFound", `The volume '${missing.join(", ")}' does not exist.`);
    if (ids.length) volumes = volumes.filter((v) => ids.includes(v.volumeId));
    volumes = applyFilters(volumes, filtersOf(ctx.p), {
      "volume-id": (v) => v.volumeId,
      status: (v) => v.state,
      "volume-type": (v) => v.volumeType,
      size: (v) => v.size,
      "snapshot-id": (v) => v.snapshotId,
      "availability-zone": (v) => v.availabilityZone,
      encrypted: (v) => v.encrypted,
      "attachment.instance-id": (v) => v.attachments.map((a) => a.instanceId),
      "attachment.device": (v) => v.attachments.map((a) => a.device),
      "attachment.status": (v) => v.attachments.map((a) => a.state),
      "attachment.delete-on-termination": (v) => v.attachments.map((a) => a.deleteOnTermination),
    });
    const { page, nextToken } = paginate(volumes, ctx.p);
    return { volumeSet: page.map(volumeXml), nextToken };
  },

  DeleteVolume(ctx) {
    const id = ctx.p.require("VolumeId");
    const i = ctx.state.volumes.findIndex((v) => v.volumeId === id && v.region === ctx.region);
    if (i < 0) fail("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
    if (/** @type {Volume} */ (ctx.state.volumes[i]).state === "in-use")
      fail("VolumeInUse", `Volume ${id} is currently attached to ${ctx.state.volumes[i]?.attachments[0]?.instanceId}`);
    ctx.state.volumes.splice(i, 1);
    return { return: true };
  },

  DescribeSnapshots(ctx) {
    const ids = ctx.p.list("SnapshotId");
    let snaps = ctx.state.snapshots.filter((x) => x.region === ctx.region);
    const missing = ids.filter((id) => !snaps.some((x) => x.snapshotId === id));
    if (missing.length) fail("InvalidSnapshot.NotFound", `The snapshot '${missing.join(", ")}' does not exist.`);
    if (ids.length) snaps = snaps.filter((x) => ids.includes(x.snapshotId));
    const owners = ctx.p.list("Owner");
    if (owners.length) snaps = snaps.filter((x) => owners.some((o) => (o === "self" ? x.ownerId === ctx.state.accountId : x.ownerId === o)));
    snaps = applyFilters(snaps, filtersOf(ctx.p), {
      "snapshot-id": (x) => x.snapshotId,
      "volume-id": (x) => x.volumeId,
      status: (x) => x.state,
      "owner-id": (x) => x.ownerId,
      description: (x) => x.description,
      "volume-size": (x) => x.volumeSize,
      encrypted: (x) => x.encrypted,
      progress: (x) => x.progress,
    });
    const { page, nextToken } = paginate(snaps, ctx.p);
    return { snapshotSet: page.map(snapshotXml), nextToken };
  },

  DeleteSnapshot(ctx) {
    const id = ctx.p.require("SnapshotId");
    const i = ctx.state.snapshots.findIndex((x) => x.snapshotId === id && x.region === ctx.region);
    if (i < 0) fail("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
    const user = ctx.state.images.find((img) => img.region === ctx.region && img.blockDeviceMapping.some((m) => m.ebs?.snapshotId === id));
    if (user) fail("InvalidSnapshot.InUse", `The snapshot ${id} is currently in use by ${user.imageId}`);
    ctx.state.snapshots.splice(i, 1);
    return { return: true };
  },

  ModifySnapshotAttribute(ctx) {
    const id = ctx.p.require("SnapshotId");
    const snap = ctx.state.snapshots.find((x) => x.snapshotId === id && x.region === ctx.region) ?? fail("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
    snap.modifications.push(ctx.p.record());
    return { return: true };
  },

  CreateTags(ctx) {
    const ids = ctx.p.list("ResourceId");
    if (!ids.length) fail("MissingParameter", "The request must contain the parameter resourceIdSet");
    const tags = ctx.p.structs("Tag").map((t) => ({ key: t.get("Key") ?? "", value: t.get("Value") ?? "" }));
    if (!tags.length) fail("MissingParameter", "The request must contain the parameter tagSet");
    for (const t of tags) if (t.key.toLowerCase().startsWith("aws:")) fail("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
    const resources = ids.map((id) => findTaggable(ctx, id));
    for (const r of resources) upsertTags(r.tags, tags);
    return { return: true };
  },

  DeleteTags(ctx) {
    const ids = ctx.p.list("ResourceId");
    if (!ids.length) fail("MissingParameter", "The request must contain the parameter resourceIdSet");
    const tags = ctx.p.structs("Tag").map((t) => ({ key: t.get("Key") ?? "", value: t.get("Value") }));
    for (const id of ids) {
      const r = findTaggable(ctx, id);
      r.tags.splice(0, r.tags.length, ...r.tags.filter((t) => tags.length > 0 && !tags.some((d) => d.key === t.key && (d.value === undefined || d.value === t.value))));
    }
    return { return: true };
  },

  DescribeTags(ctx) {
    /** @type {Array<{ resourceId: string, resourceType: string, key: string, value: string, tags?: Tag[] }>} */
    let rows = [];
    for (const [type, items] of taggables(ctx)) {
      for (const { id, tags } of items) for (const t of tags) rows.push({ resourceId: id, resourceType: type, key: t.key, value: t.value });
    }
    rows = applyFilters(rows, filtersOf(ctx.p), {
      "resource-id": (r) => r.resourceId,
      "resource-type": (r) => r.resourceType,
      key: (r) => r.key,
      value: (r) => r.value,
    });
    const { page, nextToken } = paginate(rows, ctx.p);
    return { tagSet: page.map((r) => ({ resourceId: r.resourceId, resourceType: r.resourceType, key: r.key, value: r.value })), nextToken };
  },
};

/** @param {Ec2State} s @param {Instance[]} group */
function reservationXml(s, group) {
  const first = /** @type {Instance} */ (group[0]);
  return {
    reservationId: first.reservationId,
    ownerId: s.accountId,
    groupSet: first.securityGroupIds.map((id) => ({ groupId: id, groupName: s.securityGroups.find((g) => g.groupId === id)?.groupName })),
    instancesSet: group.map((i) => instanceXml(s, i)),
  };
}

/**
 * @param {Ctx} ctx @param {string} target @param {(i: Instance) => void} check
 */
function transition(ctx, target, check) {
  const ids = ctx.p.list("InstanceId");
  if (!ids.length) fail("MissingParameter", "The request must contain the parameter InstanceId");
  const instances = ids.map((id) => findInstance(ctx, id));
  const changes = instances.map((i) => {
    const previous = i.state;
    check(i);
    i.state = target;
    return { instanceId: i.instanceId, previousState: stateXml(previous), currentState: stateXml(target) };
  });
  return { instancesSet: changes };
}

/** @param {Ctx} ctx @returns {Array<[string, Array<{ id: string, tags: Tag[] }>]>} */
function taggables(ctx) {
  const s = ctx.state;
  /** @type {<T extends { region: string, tags: Tag[] }>(arr: T[], id: (x: T) => string) => Array<{ id: string, tags: Tag[] }>} */
  const pick = (arr, id) => arr.filter((x) => x.region === ctx.region).map((x) => ({ id: id(x), tags: x.tags }));
  return [
    ["image", pick(s.images, (x) => x.imageId)],
    ["snapshot", pick(s.snapshots, (x) => x.snapshotId)],
    ["instance", pick(s.instances, (x) => x.instanceId)],
    ["volume", pick(s.volumes, (x) => x.volumeId)],
    ["security-group", pick(s.securityGroups, (x) => x.groupId)],
    ["subnet", pick(s.subnets, (x) => x.subnetId)],
    ["vpc", pick(s.vpcs, (x) => x.vpcId)],
    ["key-pair", pick(s.keyPairs, (x) => x.keyPairId)],
  ];
}

/** @param {Ctx} ctx @param {string} id */
function findTaggable(ctx, id) {
  for (const [, items] of taggables(ctx)) {
    const hit = items.find((x) => x.id === id);
    if (hit) return hit;
  }
  const codes = /** @type {Record<string, [string, string]>} */ ({
    ami: ["InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`],
    snap: ["InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`],
    i: ["InvalidInstanceID.NotFound", notFoundMessage([id], "instance ID")],
    vol: ["InvalidVolume.NotFound", `The volume '${id}' does not exist.`],
    sg: ["InvalidGroup.NotFound", `The security group '${id}' does not exist`],
    subnet: ["InvalidSubnetID.NotFound", notFoundMessage([id], "subnet ID")],
    vpc: ["InvalidVpcID.NotFound", notFoundMessage([id], "vpc ID")],
    key: ["InvalidKeyPair.NotFound", `The key pair '${id}' does not exist`],
  });
  const hit = codes[id.split("-")[0] ?? ""];
  return hit ? fail(hit[0], hit[1]) : fail("InvalidID", `The ID '${id}' is not valid`);
}

// ---------------------------------------------------------------------------------------------
// IAM and STS (same endpoint: Packer's session-wide custom endpoint sends them here)

/** @type {Record<string, Handler>} */
const IAM = {
  GetInstanceProfile(ctx) {
    const name = ctx.p.require("InstanceProfileName");
    const profile =
      ctx.state.instanceProfiles === null
        ? profileFor(ctx.state.accountId, name)
        : (ctx.state.instanceProfiles.find((x) => x.instanceProfileName === name) ?? fail("NoSuchEntity", `Instance Profile ${name} cannot be found.`, 404));
    const created = "2026-01-01T00:00:00Z";
    return {
      InstanceProfile: {
        InstanceProfileId: profile.instanceProfileId,
        Roles: profile.roles.map((r) => ({
          Path: r.path,
          Arn: r.arn,
          RoleName: r.roleName,
          RoleId: r.roleId,
          CreateDate: created,
          AssumeRolePolicyDocument: encodeURIComponent(
            JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
          ),
        })),
        InstanceProfileName: profile.instanceProfileName,
        Path: profile.path,
        Arn: profile.arn,
        CreateDate: created,
      },
    };
  },
};

/** @type {Record<string, Handler>} */
const STS = {
  GetCallerIdentity(ctx) {
    return { Arn: ctx.state.caller.arn, UserId: ctx.state.caller.userId, Account: ctx.state.accountId };
  },
};

const SERVICES = /** @type {Record<string, { handlers: Record<string, Handler>, version: string, xmlns: string }>} */ ({
  ec2: { handlers: EC2, version: EC2_VERSION, xmlns: `http://ec2.amazonaws.com/doc/${EC2_VERSION}/` },
  iam: { handlers: IAM, version: IAM_VERSION, xmlns: `https://iam.amazonaws.com/doc/${IAM_VERSION}/` },
  sts: { handlers: STS, version: STS_VERSION, xmlns: `https://sts.amazonaws.com/doc/${STS_VERSION}/` },
});

/** @param {string} action @param {string | undefined} version */
function serviceOf(action, version) {
  if (version === IAM_VERSION || (!version && action in IAM)) return "iam";
  if (version === STS_VERSION || (!version && action in STS)) return "sts";
  return "ec2";
}

/** @param {string} service @param {string} action @param {string} requestId @param {XmlObject} body */
function successXml(service, action, requestId, body) {
  const { xmlns } = /** @type {{ xmlns: string }} */ (SERVICES[service]);
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${xmlns}">`;
  if (service === "ec2") return `${head}<requestId>${requestId}</requestId>${toXml(body)}</${action}Response>`;
  return `${head}<${action}Result>${toXml(body, "member")}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** @param {string} service @param {ApiError} e @param {string} requestId */
function errorXml(service, e, requestId) {
  if (service === "ec2") {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  }
  const { xmlns } = /** @type {{ xmlns: string }} */ (SERVICES[service]);
  const type = e.status >= 500 ? "Receiver" : "Sender";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

// ---------------------------------------------------------------------------------------------
// The server

const REDACT = /^(X-Amz-Signature|X-Amz-Security-Token|Signature|SecretAccessKey|SessionToken|Password|AWSSecretKey)$/i;

/**
 * Start the mock on 127.0.0.1.
 * @param {Ec2ServerOptions} [options]
 * @returns {Promise<Ec2Server>}
 */
export async function startEc2Server(options = {}) {
  const state = normalizeState(structuredClone(options.state ?? {}));
  if (options.faults) Object.assign(state.faults, structuredClone(options.faults));
  const creds = options.credentials === undefined ? [] : Array.isArray(options.credentials) ? options.credentials : [options.credentials];
  const maxSkewMs = options.maxClockSkewMs ?? 15 * 60_000;
  const opts = {
    publicIpAddress: options.publicIpAddress ?? "127.0.0.1",
    privateIpAddress: options.privateIpAddress ?? "127.0.0.1",
    ...(options.keyMaterial ? { keyMaterial: options.keyMaterial } : {}),
  };
  const defaultRegion = /** @type {Region} */ (state.regions[0]).regionName;
  /** @type {RequestLogEntry[]} */
  const requests = [];
  /** @type {Set<import("node:net").Socket>} */
  const sockets = new Set();
  /** @type {Set<() => void>} wake-ups for delayed and hanging requests */
  const waiting = new Set();
  /** @type {WeakMap<Fault, number>} */
  const faultCalls = new WeakMap();
  let closed = false;

  const writeState = () => {
    if (!options.stateOut) return;
    const tmp = `${options.stateOut}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    fs.renameSync(tmp, options.stateOut);
  };
  /** @param {RequestLogEntry} entry */
  const record = (entry) => {
    if (options.log) fs.appendFileSync(options.log, `${JSON.stringify(entry)}\n`);
  };

  /** @param {number} ms resolves true when the time passed, false when close() cut it short */
  const sleep = (ms) =>
    new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        waiting.delete(wake);
        resolve(true);
      }, ms);
      waiting.add(wake);
    });
  const hang = () =>
    new Promise((resolve) => {
      const wake = () => {
        waiting.delete(wake);
        resolve(false);
      };
      waiting.add(wake);
    });

  /** @param {string} action */
  const pickFault = (action) => {
    const fault = state.faults[action] ?? state.faults["*"];
    if (!fault) return undefined;
    const n = (faultCalls.get(fault) ?? 0) + 1;
    faultCalls.set(fault, n);
    if (fault.times !== undefined && n > fault.times) return undefined;
    return fault;
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  const handle = async (req, res) => {
    const started = Date.now();
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of req) chunks.push(/** @type {Buffer} */ (c));
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const map = new Map(url.searchParams);
    if (req.method === "POST") for (const [k, v] of new URLSearchParams(body.toString("utf8"))) map.set(k, v);
    const p = new Params(map);
    const action = p.get("Action") ?? "";
    const version = p.get("Version");
    const service = serviceOf(action, version);
    const auth = parseAuthorization(req.headers.authorization);
    const region = service === "ec2" ? (auth?.region ?? defaultRegion) : defaultRegion;
    const requestId = crypto.randomUUID();
    /** @type {Record<string, string>} */
    const params = {};
    for (const [k, v] of map) params[k] = REDACT.test(k) ? "[redacted]" : v;
    /** @type {RequestLogEntry} */
    const entry = {
      time: new Date(started).toISOString(),
      action,
      ...(version ? { version } : {}),
      service,
      region,
      params,
      status: null,
      errorCode: null,
      durationMs: 0,
      ...(req.headers["x-amz-security-token"] ? { securityToken: true } : {}),
    };
    requests.push(entry);

    let status = 200;
    let xml;
    try {
      if (creds.length) verifySigV4(req, body, creds, service, maxSkewMs);
      if (service === "ec2" && !state.regions.some((r) => r.regionName === region)) {
        fail("AuthFailure", `Credential should be scoped to a valid region, not '${region}'.`, 401);
      }
      const fault = pickFault(action);
      if (fault) {
        entry.fault = fault.hang ? "hang" : fault.code ? "error" : "delay";
        if (fault.hang) {
          await hang();
          return; // only close() ends a hang; the socket is destroyed then
        }
        if (fault.delayMs && !(await sleep(fault.delayMs))) return;
        if (fault.code) fail(fault.code, fault.message ?? `Injected fault for ${action}`, fault.status ?? 400);
      }
      const svc = /** @type {{ handlers: Record<string, Handler> }} */ (SERVICES[service]);
      const handler = Object.hasOwn(svc.handlers, action) ? svc.handlers[action] : undefined;
      if (!handler) {
        if (service === "ec2") fail("InvalidAction", `The action ${action || "(none)"} is not valid for this web service.`);
        fail("InvalidAction", `Could not find operation ${action} for version ${version}`);
      }
      if (service === "ec2" && bool(p.get("DryRun"))) fail("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
      const result = await handler({ state, p, region, opts });
      xml = successXml(service, action, requestId, result);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError("InternalError", `mock failure: ${/** @type {Error} */ (err)?.message ?? err}`, 500);
      status = e.status;
      entry.errorCode = e.code;
      xml = errorXml(service, e, requestId);
    }
    entry.status = status;
    entry.durationMs = Date.now() - started;
    record(entry);
    if (!closed) writeState();
    if (res.destroyed || closed) return;
    res.writeHead(status, {
      "Content-Type": "text/xml;charset=UTF-8",
      "Content-Length": Buffer.byteLength(xml),
      "x-amzn-RequestId": requestId,
      Date: new Date().toUTCString(),
    });
    res.end(xml);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end(String(err));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve(undefined));
  });
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;

  let closing = /** @type {Promise<void> | undefined} */ (undefined);
  const close = () => {
    closing ??= new Promise((resolve) => {
      closed = true;
      for (const entry of requests) {
        if (entry.status === null) {
          entry.durationMs = Date.now() - Date.parse(entry.time);
          record(entry);
        }
      }
      for (const wake of [...waiting]) wake();
      server.close(() => resolve());
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      writeState();
    });
    return closing;
  };

  return { url: `http://127.0.0.1:${port}`, port, state, requests, close };
}

// ---------------------------------------------------------------------------------------------
// Standalone

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      state: { type: "string" },
      "state-out": { type: "string" },
      log: { type: "string" },
      "access-key": { type: "string" },
      "secret-key": { type: "string" },
      faults: { type: "string" },
      "key-material": { type: "string" },
      "public-ip": { type: "string" },
      "private-ip": { type: "string" },
    },
    strict: true,
  });
  if (Boolean(values["access-key"]) !== Boolean(values["secret-key"])) throw new Error("--access-key and --secret-key go together");
  const server = await startEc2Server({
    port: Number(values.port),
    ...(values.state ? { state: JSON.parse(fs.readFileSync(values.state, "utf8")) } : {}),
    ...(values["state-out"] ? { stateOut: values["state-out"] } : {}),
    ...(values.log ? { log: values.log } : {}),
    ...(values["access-key"] && values["secret-key"] ? { credentials: { accessKeyId: values["access-key"], secretAccessKey: values["secret-key"] } } : {}),
    ...(values.faults ? { faults: JSON.parse(values.faults) } : {}),
    ...(values["key-material"] ? { keyMaterial: fs.readFileSync(values["key-material"], "utf8") } : {}),
    ...(values["public-ip"] ? { publicIpAddress: values["public-ip"] } : {}),
    ...(values["private-ip"] ? { privateIpAddress: values["private-ip"] } : {}),
  });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** True when this file is the program node was started with (not when imported). */
function isMain() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(path.resolve(process.argv[1])) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((err) => {
    process.stderr.write(`ec2 mock: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
