import { readFileSync } from 'node:fs'

const dir = new URL('../fixtures/tls/', import.meta.url)
const pem = (name: string): string => readFileSync(new URL(`${name}.pem`, dir), 'utf8')

/** A certificate and its private key, as `tls.createServer` or `tls: { cert, key }` take them. */
export interface KeyPair {
  cert: string
  key: string
}

const pair = (name: string): KeyPair => ({ cert: pem(name), key: pem(`${name}-key`) })

/** The test CA every fixture is signed by (made by fixtures/tls/make-certs.sh). */
export const ca: string = pem('ca')
/** For `localhost`, 127.0.0.1 and ::1. */
export const server: KeyPair = pair('server')
/** A client certificate (extendedKeyUsage clientAuth), for mTLS. */
export const client: KeyPair = pair('client')
/** For `localhost` and 127.0.0.1, expired in 2001. */
export const expired: KeyPair = pair('expired')
/** For `wrong.example` only. */
export const wrongHost: KeyPair = pair('wrong-host')
