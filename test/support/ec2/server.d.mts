// Generated from server.mjs: npx tsc --allowJs --declaration --emitDeclarationOnly --strict --module nodenext --moduleResolution nodenext --target es2022 --types node --outDir /tmp/d test/support/ec2/server.mjs
/**
 * Start the mock on 127.0.0.1.
 * @param {Ec2ServerOptions} [options]
 * @returns {Promise<Ec2Server>}
 */
export function startEc2Server(options?: Ec2ServerOptions): Promise<Ec2Server>;
/**
 * values: string | number | boolean | null | undefined | XmlObject | array of those
 */
export type XmlObject = {
    [name: string]: unknown;
};
export type XmlValue = unknown;
export type Filter = {
    name: string;
    values: string[];
};
export type FilterFields<T> = Record<string, (item: T) => unknown>;
export type Ctx = {
    state: Ec2State;
    p: Params;
    region: string;
    opts: Required<Pick<Ec2ServerOptions, "publicIpAddress" | "privateIpAddress">> & {
        keyMaterial?: string;
    };
};
export type Handler = (ctx: Ctx) => XmlObject | Promise<XmlObject>;
export type Tag = {
    key: string;
    value: string;
};
export type Fault = {
    /**
     * error code to answer with (e.g. "UnauthorizedOperation")
     */
    code?: string | undefined;
    /**
     * HTTP status of the error; 400 unless given
     */
    status?: number | undefined;
    /**
     * error message
     */
    message?: string | undefined;
    /**
     * wait this long before answering (normally, or with `code`)
     */
    delayMs?: number | undefined;
    /**
     * never answer (until close())
     */
    hang?: boolean | undefined;
    /**
     * apply only to the first N calls of the action; every call when absent
     */
    times?: number | undefined;
};
export type Credentials = {
    accessKeyId: string;
    secretAccessKey: string;
};
export type AvailabilityZone = {
    zoneName: string;
    zoneId: string;
    state: string;
};
export type Region = {
    regionName: string;
    availabilityZones: AvailabilityZone[];
};
export type EbsSpec = {
    snapshotId?: string | undefined;
    volumeSize?: number | undefined;
    volumeType?: string | undefined;
    iops?: number | undefined;
    throughput?: number | undefined;
    deleteOnTermination?: boolean | undefined;
    encrypted?: boolean | undefined;
    kmsKeyId?: string | undefined;
};
export type BlockDeviceMapping = {
    deviceName: string;
    noDevice?: boolean;
    virtualName?: string;
    ebs?: EbsSpec;
};
export type Image = {
    imageId: string;
    name: string;
    ownerId: string;
    /**
     * e.g. "amazon"; matched by Owner.N
     */
    imageOwnerAlias?: string | undefined;
    /**
     * available | pending | failed
     */
    state: string;
    /**
     * x86_64 | arm64
     */
    architecture: string;
    /**
     * ebs | instance-store
     */
    rootDeviceType: string;
    rootDeviceName: string;
    virtualizationType: string;
    /**
     * ISO 8601
     */
    creationDate: string;
    description: string;
    blockDeviceMapping: BlockDeviceMapping[];
    tags: Tag[];
    region: string;
    public: boolean;
    enaSupport: boolean;
    sriovNetSupport?: string | undefined;
    bootMode?: string | undefined;
    /**
     * set by CreateImage
     */
    sourceInstanceId?: string | undefined;
    /**
     * set by CopyImage
     */
    sourceImageId?: string | undefined;
    /**
     * set by CopyImage
     */
    sourceRegion?: string | undefined;
    launchPermissions: Array<{
        userId?: string;
        group?: string;
    }>;
    /**
     * ModifyImageAttribute calls, as form fields
     */
    modifications: Record<string, string>[];
};
export type Vpc = {
    vpcId: string;
    cidrBlock: string;
    isDefault: boolean;
    state: string;
    region: string;
    ownerId: string;
    tags: Tag[];
};
export type Subnet = {
    subnetId: string;
    vpcId: string;
    availabilityZone: string;
    cidrBlock: string;
    /**
     * decremented per running instance
     */
    availableIpAddressCount: number;
    state: string;
    mapPublicIpOnLaunch: boolean;
    defaultForAz: boolean;
    /**
     * derived from the AZ
     */
    region: string;
    ownerId: string;
    tags: Tag[];
};
export type KeyPair = {
    keyName: string;
    keyPairId: string;
    keyFingerprint: string;
    /**
     * rsa | ed25519
     */
    keyType: string;
    /**
     * OpenSSH authorized_keys form, when derivable
     */
    publicKey?: string | undefined;
    createTime: string;
    region: string;
    tags: Tag[];
};
export type IpPermission = {
    ipProtocol: string;
    fromPort?: number;
    toPort?: number;
    ipRanges: Array<{
        cidrIp: string;
        description?: string;
    }>;
    groups: Array<{
        groupId: string;
    }>;
};
export type SecurityGroup = {
    groupId: string;
    groupName: string;
    description: string;
    vpcId: string;
    region: string;
    ownerId: string;
    ipPermissions: IpPermission[];
    ipPermissionsEgress: IpPermission[];
    tags: Tag[];
};
export type InstanceBlockDevice = {
    deviceName: string;
    volumeId: string;
    deleteOnTermination: boolean;
    attachTime: string;
};
export type Instance = {
    instanceId: string;
    reservationId: string;
    imageId: string;
    instanceType: string;
    /**
     * pending | running | shutting-down | terminated | stopping | stopped
     */
    state: string;
    stateTransitionReason: string;
    keyName?: string | undefined;
    launchTime: string;
    region: string;
    availabilityZone: string;
    subnetId?: string | undefined;
    vpcId?: string | undefined;
    privateIpAddress: string;
    publicIpAddress?: string | undefined;
    securityGroupIds: string[];
    architecture: string;
    rootDeviceType: string;
    rootDeviceName: string;
    virtualizationType: string;
    blockDeviceMapping: InstanceBlockDevice[];
    /**
     * BlockDeviceMapping.N as sent
     */
    requestedBlockDeviceMappings: BlockDeviceMapping[];
    tags: Tag[];
    instanceInitiatedShutdownBehavior: string;
    ebsOptimized: boolean;
    enaSupport: boolean;
    sriovNetSupport?: string | undefined;
    metadataOptions: {
        httpTokens: string;
        httpEndpoint: string;
        httpPutResponseHopLimit: number;
        instanceMetadataTags: string;
    };
    iamInstanceProfile?: {
        arn: string;
        id: string;
        name: string;
    } | undefined;
    /**
     * base64, as sent
     */
    userData?: string | undefined;
    clientToken?: string | undefined;
    amiLaunchIndex: number;
    /**
     * every RunInstances form field (less Action/Version)
     */
    launchParams: Record<string, string>;
    /**
     * ModifyInstanceAttribute calls, as form fields
     */
    modifications: Record<string, string>[];
};
export type VolumeAttachment = {
    instanceId: string;
    device: string;
    state: string;
    deleteOnTermination: boolean;
    attachTime: string;
};
export type Volume = {
    volumeId: string;
    /**
     * GiB
     */
    size: number;
    volumeType: string;
    iops?: number | undefined;
    throughput?: number | undefined;
    snapshotId?: string | undefined;
    availabilityZone: string;
    region: string;
    /**
     * in-use | available
     */
    state: string;
    encrypted: boolean;
    kmsKeyId?: string | undefined;
    createTime: string;
    attachments: VolumeAttachment[];
    tags: Tag[];
};
export type Snapshot = {
    snapshotId: string;
    volumeId?: string | undefined;
    volumeSize: number;
    state: string;
    progress: string;
    startTime: string;
    ownerId: string;
    description: string;
    encrypted: boolean;
    region: string;
    tags: Tag[];
    /**
     * ModifySnapshotAttribute calls, as form fields
     */
    modifications: Record<string, string>[];
};
export type Role = {
    roleName: string;
    roleId: string;
    arn: string;
    path: string;
};
export type InstanceProfile = {
    instanceProfileName: string;
    instanceProfileId: string;
    arn: string;
    path: string;
    roles: Role[];
};
/**
 * The whole model. JSON-able; every field is optional in a seed.
 */
export type Ec2State = {
    accountId: string;
    /**
     * the first is the default (used for unsigned requests)
     */
    regions: Region[];
    /**
     * offered in every AZ unless instanceTypeOfferings names the AZ
     */
    instanceTypes: string[];
    /**
     * AZ name -> instance types offered there
     */
    instanceTypeOfferings: Record<string, string[]>;
    images: Image[];
    vpcs: Vpc[];
    subnets: Subnet[];
    keyPairs: KeyPair[];
    securityGroups: SecurityGroup[];
    /**
     * terminated ones stay listed, as on AWS
     */
    instances: Instance[];
    volumes: Volume[];
    snapshots: Snapshot[];
    /**
     * null: every name exists (synthesised)
     */
    instanceProfiles: InstanceProfile[] | null;
    /**
     * GetCallerIdentity answer
     */
    caller: {
        arn: string;
        userId: string;
    };
    /**
     * action name (or "*") -> fault; live, may be edited
     */
    faults: Record<string, Fault>;
};
export type RequestLogEntry = {
    time: string;
    action: string;
    version?: string | undefined;
    /**
     * ec2 | iam | sts
     */
    service: string;
    region: string;
    /**
     * form fields (signature-like fields redacted)
     */
    params: Record<string, string>;
    /**
     * null while hanging / when closed before answering
     */
    status: number | null;
    errorCode: string | null;
    durationMs: number;
    /**
     * present when the request carried X-Amz-Security-Token
     */
    securityToken?: boolean | undefined;
    /**
     * "error" | "delay" | "hang" when a fault was applied
     */
    fault?: string | undefined;
};
export type Ec2ServerOptions = {
    /**
     * 0 (default) picks a free port; always 127.0.0.1
     */
    port?: number | undefined;
    /**
     * seed; deep-copied, then normalised
     */
    state?: Partial<Ec2State> | Record<string, unknown> | undefined;
    /**
     * JSONL request log, appended to
     */
    log?: string | undefined;
    /**
     * write the state as JSON here after every request and on close()
     */
    stateOut?: string | undefined;
    /**
     * when set, SigV4 is verified
     */
    credentials?: Credentials | Credentials[] | undefined;
    /**
     * merged over state.faults
     */
    faults?: Record<string, Fault> | undefined;
    /**
     * private key text returned by every CreateKeyPair; generated when absent
     */
    keyMaterial?: string | undefined;
    /**
     * instances' public address (127.0.0.1)
     */
    publicIpAddress?: string | undefined;
    /**
     * instances' private address (127.0.0.1)
     */
    privateIpAddress?: string | undefined;
    /**
     * with credentials: reject X-Amz-Date further off than this (15 min)
     */
    maxClockSkewMs?: number | undefined;
};
export type Ec2Server = {
    /**
     * http://127.0.0.1:PORT
     */
    url: string;
    port: number;
    /**
     * live state
     */
    state: Ec2State;
    /**
     * every request so far
     */
    requests: RequestLogEntry[];
    /**
     * stops listening, ends delays/hangs, destroys sockets
     */
    close: () => Promise<void>;
};
/** Form fields of one request, with the EC2 query list conventions (Name.N, Name.N.Sub). */
declare class Params {
    /** @param {Map<string, string>} map */
    constructor(map: Map<string, string>);
    map: Map<string, string>;
    /** @param {string} key */
    get(key: string): string | undefined;
    /** @param {string} key */
    require(key: string): string;
    /** Values of `prefix.1`, `prefix.2`, … in index order. @param {string} prefix @returns {string[]} */
    list(prefix: string): string[];
    /** Sub-structures `prefix.N.*`, each as its own Params, in index order. @param {string} prefix @returns {Params[]} */
    structs(prefix: string): Params[];
    /** Fields under `prefix.` with the prefix removed. @param {string} prefix */
    sub(prefix: string): Params;
    get size(): number;
    /** @returns {Record<string, string>} */
    record(): Record<string, string>;
}
export {};
