// Generated from server.mjs: npx tsc --allowJs --declaration --emitDeclarationOnly --strict --module nodenext --moduleResolution nodenext --target es2022 --types node --outDir /tmp/d test/support/azure/server.mjs
/**
 * @param {{ state: AzureState, tls: { cert: string | Buffer, key: string | Buffer }, host?: string,
 *           port?: number, log?: string, faults?: Record<string, AzureFault> }} options
 *   tls.cert/key: PEM text or a path to a PEM file; log: JSONL file to append to.
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
    log?: string;
    faults?: Record<string, AzureFault>;
}): Promise<AzureServer>;
/**
 * @typedef {{ clientId: string, clientSecret: string, objectId?: string, secretExpired?: boolean }} AzureClient
 * @typedef {{ name: string, location: string, tags?: Record<string, string> }} AzureResourceGroup
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
 * }} AzureState
 *   locations: the regions that exist (default: every location named elsewhere in the state);
 *   tokenAudiences: resources the login endpoint issues tokens for and ARM accepts
 *     (default: https://management.azure.com and https://management.core.windows.net, with or without "/");
 *   resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page).
 * @typedef {{
 *   status?: number, code?: string, message?: string, headers?: Record<string, string>,
 *   delayMs?: number, hang?: boolean, reset?: boolean, times?: number,
 * }} AzureFault
 *   Applied before anything else on the named route. delayMs then continues normally unless
 *   status/hang/reset is also given; times: apply to this many requests, then stop (default: all).
 * @typedef {{
 *   time: string, method: string, path: string, query: Record<string, string>, route: string,
 *   status: number | null, ms: number, auth?: string, tenant?: string, clientId?: string,
 *   grantType?: string, scope?: string, fault?: string, error?: string,
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
export type AzureResourceGroup = {
    name: string;
    location: string;
    tags?: Record<string, string>;
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
 * resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page).
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
};
/**
 * Applied before anything else on the named route. delayMs then continues normally unless
 * status/hang/reset is also given; times: apply to this many requests, then stop (default: all).
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
