/** Node-only pieces (Electron's main process): state kept in files in a folder. */

import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

import type { StateStorage } from "./storage.js";

const KEY = /^[A-Za-z0-9_.-]{1,100}$/;

/** One file per key in `directory` (e.g. `app.getPath("userData") + "/updatesrv"`), each
 * written to a temporary file and renamed, so a crash never leaves half a file. */
export class FileStorage implements StateStorage {
  readonly persistent = true;
  readonly identity: string;

  constructor(readonly directory: string) {
    this.identity = `file:${resolve(directory)}`;
  }

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
    return join(this.directory, key);
  }

  async get(key: string): Promise<string | null> {
    try {
      return await readFile(this.path(key), "utf8");
    } catch {
      return null;
    }
  }

  async set(key: string, value: string): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const target = this.path(key);
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(temporary, value, "utf8");
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }
}

/** This machine as updatesrv names platforms: windows-x86_64, macos-arm64, linux-x86_64… */
export function nodePlatform(): string {
  const system = ({ win32: "windows", darwin: "macos", linux: "linux" } as Record<string, string>)[
    process.platform] ?? process.platform;
  const arch = ({ x64: "x86_64", arm64: "arm64", ia32: "x86" } as Record<string, string>)[
    process.arch] ?? process.arch;
  return `${system}-${arch}`;
}
