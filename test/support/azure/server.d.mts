// Generated from server.mjs: npx tsc --allowJs --declaration --emitDeclarationOnly --strict --module nodenext --moduleResolution nodenext --target es2022 --types node --outDir /tmp/d test/support/azure/server.mjs
/**
 * The id ARM gives a resource: armResourceId(sub, rg, "Microsoft.Compute/galleries/images", "g", "def")
 * → /subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/def
 * (for seeding state.subscriptions[s].resourceGroups[i].resources).
 * @param {string} subscriptionId @param {string} resourceGroup @param {string} type @param {...string} names
 */
export function armResourceId(subscriptionId: string, resourceGroup: string, type: string, ...names: string[]): string;
/**
 * @param {{ state: AzureState, tls: { cert: string | Buffer, key: string | Buffer }, host?: string,
 *           port?: number, path?: string, log?: string, faults?: Record<string, AzureFault>,
 *           onDeployment?: (d: AzureDeploymentEvent) => void | Promise<void> }} options
 *   tls.cert/key: PEM text or a path to a PEM file; log: JSONL file to append to;
 *   path: listen on this Unix socket instead of host:port (a relay brings a network namespace's
 *   traffic to it); onDeployment: awaited after a deployment created its resources and before the
 *   PUT is answered (a test puts the VM's SSH key where its SSH target reads it).
 * @returns {Promise<AzureServer>}
 */
export function startAzureServer(options: {
    state: AzureState;
    tls: {
        cert: string | Buffer;
        key: string | Buffer;
    };
    host?: string;
    port?: number;
    path?: string;
    log?: string;
    faults?: Record<string, AzureFault>;
    onDeployment?: (d: AzureDeploymentEvent) => void | Promise<void>;
}): Promise<AzureServer>;
/**
 * @typedef {{ clientId: string, clientSecret: string, objectId?: string, secretExpired?: boolean }} AzureClient
 * @typedef {{ name: string, location: string, tags?: Record<string, string>, resources?: AzureResource[] }} AzureResourceGroup
 *   resources: what PUTs and deployments created in the group (deleted with it).
 * @typedef {{
 *   id: string, name: string, type: string, location?: string, tags?: Record<string, string>,
 *   properties: Record<string, any>, powerState?: "running" | "stopped" | "deallocated", generalized?: boolean,
 * }} AzureResource
 *   id: the canonical resource id; name: the last segment; type: "Microsoft.Compute/images",
 *   "Microsoft.Compute/galleries/images/versions", …; powerState/generalized: virtual machines only
 *   (not ARM fields: GET does not return them).
 * @typedef {{
 *   tenantId?: string,
 *   displayName?: string,
 *   authorizedClients?: string[],
 *   resourceGroups?: AzureResourceGroup[],
 * }} AzureSubscription
 *   tenantId: tokens from other tenants get 401 InvalidAuthenticationTokenTenant (unset: any tenant);
 *   authorizedClients: client ids with read access (unset: every client) – others get 403 AuthorizationFailed.
 * @typedef {{
 *   location: string, publisher: string, offer: string, sku: string, versions: string[],
 *   hyperVGeneration?: "V1" | "V2", architecture?: "x64" | "Arm64",
 * }} AzureImage   a marketplace image SKU; `versions: []` = the SKU exists but has no versions
 * @typedef {{
 *   name: string, numberOfCores: number, memoryInMB: number,
 *   osDiskSizeInMB?: number, resourceDiskSizeInMB?: number, maxDataDiskCount?: number,
 *   family?: string, zones?: string[], restricted?: string,
 * }} AzureVmSize   restricted: a resource-SKU restriction reasonCode, e.g. "NotAvailableForSubscription"
 * @typedef {{
 *   tenants: Record<string, { clients: AzureClient[] }>,
 *   subscriptions: Record<string, AzureSubscription>,
 *   images?: AzureImage[],
 *   vmSizes?: Record<string, AzureVmSize[]>,
 *   locations?: string[],
 *   tokenLifetimeSeconds?: number,
 *   tokenAudiences?: string[],
 *   resourceSkusPageSize?: number,
 *   publicIpAddress?: string,
 *   operationPolls?: number,
 * }} AzureState
 *   locations: the regions that exist (default: every location named elsewhere in the state);
 *   tokenAudiences: resources the login endpoint issues tokens for and ARM accepts
 *     (default: https://management.azure.com and https://management.core.windows.net, with or without "/");
 *   resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page);
 *   publicIpAddress: the address every public IP resource gets (default 127.0.0.1);
 *   operationPolls: how many polls a long-running operation answers InProgress before it ends (default 1).
 * @typedef {{
 *   status?: number, code?: string, message?: string, headers?: Record<string, string>,
 *   delayMs?: number, hang?: boolean, reset?: boolean, times?: number, async?: boolean,
 * }} AzureFault
 *   Applied before anything else on the named route. delayMs then continues normally unless
 *   status/hang/reset is also given; times: apply to this many requests, then stop (default: all);
 *   async (write routes with a long-running operation): the request is accepted as usual, nothing is
 *   created or changed, and the operation ends Failed with {code, message} (status: the HTTP status
 *   its Location URL answers, default 400).
 * @typedef {{
 *   subscriptionId: string, resourceGroup: string, name: string, adminUsername?: string,
 *   sshPublicKeys: string[], resources: AzureResource[],
 * }} AzureDeploymentEvent   what a deployment PUT created (before the server answers it)
 * @typedef {{
 *   time: string, method: string, path: string, query: Record<string, string>, route: string,
 *   status: number | null, ms: number, auth?: string, tenant?: string, clientId?: string,
 *   grantType?: string, scope?: string, fault?: string, error?: string, operation?: string,
 * }} AzureRequestLogEntry   status null: the client went away before an answer (hang, abort).
 * @typedef {{
 *   url: string, port: number, state: AzureState, faults: Record<string, AzureFault>,
 *   requests: AzureRequestLogEntry[], pending: () => number,
 *   mintToken: (o: { tenantId: string, clientId: string, audience?: string, lifetimeSeconds?: number }) => string,
 *   close: () => Promise<void>,
 * }} AzureServer
 */
/** Route names, usable as fault keys. */
export const ROUTES: readonly string[];
export type AzureClient = {
    clientId: string;
    clientSecret: string;
    objectId?: string;
    secretExpired?: boolean;
};
/**
 * resources: what PUTs and deployments created in the group (deleted with it).
 */
export type AzureResourceGroup = {
    name: string;
    location: string;
    tags?: Record<string, string>;
    resources?: AzureResource[];
};
/**
 * id: the canonical resource id; name: the last segment; type: "Microsoft.Compute/images",
 * "Microsoft.Compute/galleries/images/versions", …; powerState/generalized: virtual machines only
 * (not ARM fields: GET does not return them).
 */
export type AzureResource = {
    id: string;
    name: string;
    type: string;
    location?: string;
    tags?: Record<string, string>;
    properties: Record<string, any>;
    powerState?: "running" | "stopped" | "deallocated";
    generalized?: boolean;
};
/**
 * tenantId: tokens from other tenants get 401 InvalidAuthenticationTokenTenant (unset: any tenant);
 * authorizedClients: client ids with read access (unset: every client) – others get 403 AuthorizationFailed.
 */
export type AzureSubscription = {
    tenantId?: string;
    displayName?: string;
    authorizedClients?: string[];
    resourceGroups?: AzureResourceGroup[];
};
/**
 * a marketplace image SKU; `versions: []` = the SKU exists but has no versions
 */
export type AzureImage = {
    location: string;
    publisher: string;
    offer: string;
    sku: string;
    versions: string[];
    hyperVGeneration?: "V1" | "V2";
    architecture?: "x64" | "Arm64";
};
/**
 * restricted: a resource-SKU restriction reasonCode, e.g. "NotAvailableForSubscription"
 */
export type AzureVmSize = {
    name: string;
    numberOfCores: number;
    memoryInMB: number;
    osDiskSizeInMB?: number;
    resourceDiskSizeInMB?: number;
    maxDataDiskCount?: number;
    family?: string;
    zones?: string[];
    restricted?: string;
};
/**
 * locations: the regions that exist (default: every location named elsewhere in the state);
 * tokenAudiences: resources the login endpoint issues tokens for and ARM accepts
 * (default: https://management.azure.com and https://management.core.windows.net, with or without "/");
 * resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page);
 * publicIpAddress: the address every public IP resource gets (default 127.0.0.1);
 * operationPolls: how many polls a long-running operation answers InProgress before it ends (default 1).
 */
export type AzureState = {
    tenants: Record<string, {
        clients: AzureClient[];
    }>;
    subscriptions: Record<string, AzureSubscription>;
    images?: AzureImage[];
    vmSizes?: Record<string, AzureVmSize[]>;
    locations?: string[];
    tokenLifetimeSeconds?: number;
    tokenAudiences?: string[];
    resourceSkusPageSize?: number;
    publicIpAddress?: string;
    operationPolls?: number;
};
/**
 * Applied before anything else on the named route. delayMs then continues normally unless
 * status/hang/reset is also given; times: apply to this many requests, then stop (default: all);
 * async (write routes with a long-running operation): the request is accepted as usual, nothing is
 * created or changed, and the operation ends Failed with {code, message} (status: the HTTP status
 * its Location URL answers, default 400).
 */
export type AzureFault = {
    status?: number;
    code?: string;
    message?: string;
    headers?: Record<string, string>;
    delayMs?: number;
    hang?: boolean;
    reset?: boolean;
    times?: number;
    async?: boolean;
};
/**
 * what a deployment PUT created (before the server answers it)
 */
export type AzureDeploymentEvent = {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    adminUsername?: string;
    sshPublicKeys: string[];
    resources: AzureResource[];
};
/**
 * status null: the client went away before an answer (hang, abort).
 */
export type AzureRequestLogEntry = {
    time: string;
    method: string;
    path: string;
    query: Record<string, string>;
    route: string;
    status: number | null;
    ms: number;
    auth?: string;
    tenant?: string;
    clientId?: string;
    grantType?: string;
    scope?: string;
    fault?: string;
    error?: string;
    operation?: string;
};
export type AzureServer = {
    url: string;
    port: number;
    state: AzureState;
    faults: Record<string, AzureFault>;
    requests: AzureRequestLogEntry[];
    pending: () => number;
    mintToken: (o: {
        tenantId: string;
        clientId: string;
        audience?: string;
        lifetimeSeconds?: number;
    }) => string;
    close: () => Promise<void>;
};
