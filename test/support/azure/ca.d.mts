// Generated from ca.mjs: npx tsc --allowJs --declaration --emitDeclarationOnly --strict --module nodenext --moduleResolution nodenext --target es2022 --types node --outDir /tmp/d test/support/azure/ca.mjs
/**
 * @typedef {{ caCert: string, caKey: string, cert: string, key: string, chain: string }} TestCaPaths
 *   caCert: the CA certificate (give this to clients: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, tlsOptions.ca);
 *   cert/key: the server certificate and its key; chain: cert followed by caCert.
 */
/**
 * @param {string} dir directory to write into (created if missing)
 * @param {{ dnsNames?: string[], ipAddresses?: string[], days?: number, commonName?: string }} [options]
 * @returns {Promise<TestCaPaths>}
 */
export function makeTestCa(dir: string, options?: {
    dnsNames?: string[];
    ipAddresses?: string[];
    days?: number;
    commonName?: string;
}): Promise<TestCaPaths>;
/**
 * caCert: the CA certificate (give this to clients: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, tlsOptions.ca);
 * cert/key: the server certificate and its key; chain: cert followed by caCert.
 */
export type TestCaPaths = {
    caCert: string;
    caKey: string;
    cert: string;
    key: string;
    chain: string;
};
