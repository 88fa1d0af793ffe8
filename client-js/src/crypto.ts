/** Ed25519 and SHA-256 on WebCrypto (browsers, Electron, Node ≥ 20), with Node's own
 * `node:crypto` where a Node 18 WebCrypto lacks Ed25519. */

import { SignatureError } from "./errors.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (the alphabet and padding Python's `b64decode(validate=True)` accepts);
 * null for anything else. */
export function decodeBase64(value: string): Uint8Array | null {
  if (!BASE64.test(value)) return null;
  const binary = atob(value);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

let nodeWebCrypto: Promise<Crypto | undefined> | null = null;

async function importNodeCrypto(): Promise<typeof import("node:crypto")> {
  const name = "node:crypto"; // a variable: browser bundlers must not try to resolve it
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

/** WebCrypto: the global one (browsers, Node ≥ 19), or node:crypto's (Node 18, where it is
 * not a global). */
export async function webCrypto(): Promise<Crypto> {
  const global = (globalThis as { crypto?: Crypto }).crypto;
  if (global?.subtle) return global;
  nodeWebCrypto ??= importNodeCrypto().then((m) => m.webcrypto as Crypto, () => undefined);
  const crypto = await nodeWebCrypto;
  if (!crypto?.subtle) {
    throw new SignatureError("this runtime has no WebCrypto (in a browser: a secure context is "
                             + "needed: https, file: or an app's own scheme)");
  }
  return crypto;
}

async function subtle(): Promise<SubtleCrypto> {
  return (await webCrypto()).subtle;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await (await subtle()).digest("SHA-256", data as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export type Verifier = (signature: Uint8Array, data: Uint8Array) => Promise<boolean>;

async function nodeVerifier(raw: Uint8Array): Promise<Verifier> {
  const nodeCrypto = await importNodeCrypto();
  const x = btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  const key = nodeCrypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  return async (signature, data) => nodeCrypto.verify(null, data, key, signature);
}

/** A verifier for one base64 raw Ed25519 public key; a SignatureError names a bad key. */
export async function loadKey(key: string, what: string): Promise<Verifier> {
  const raw = decodeBase64(key);
  if (raw === null || raw.length !== 32) {
    throw new SignatureError(`${what}: '${key}' is not a base64 Ed25519 public key`);
  }
  const crypto = await subtle();
  let imported: CryptoKey;
  try {
    imported = await crypto.importKey("raw", raw as BufferSource, { name: "Ed25519" }, false,
                                        ["verify"]);
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    try {
      return await nodeVerifier(raw);
    } catch {
      throw new SignatureError(`${what}: this runtime cannot verify Ed25519 signatures`);
    }
  }
  return async (signature, data) => {
    try {
      return await crypto.verify({ name: "Ed25519" }, imported, signature as BufferSource,
                                   data as BufferSource);
    } catch {
      return false;
    }
  };
}
