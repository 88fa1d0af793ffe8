/** Where the client keeps what it remembers between runs (the install id, the last answer,
 * which notices were shown or dismissed, the highest signed serial): pluggable. A file in
 * Node (FileStorage from "updatesrv-client/node"), localStorage in a browser or webview,
 * memory otherwise. */

export interface StateStorage {
  /** False for storage that forgets on exit: then no install id is made (the server would
   * count every start as a new install) and no "shown" acknowledgements are queued. */
  readonly persistent: boolean;
  /** What two storage objects over the same place share (the folder, the Storage object):
   * clients on it then make one install id between them. The storage object by default. */
  readonly identity?: unknown;
  get(key: string): Promise<string | null> | string | null;
  set(key: string, value: string): Promise<void> | void;
}

export class MemoryStorage implements StateStorage {
  readonly persistent = false;
  private readonly items = new Map<string, string>();

  get(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  set(key: string, value: string): void {
    this.items.set(key, value);
  }
}

/** `window.localStorage` (or any Web Storage), under a prefix per server and product. */
export class WebStorage implements StateStorage {
  readonly persistent = true;
  readonly identity: unknown;

  constructor(private readonly store: Storage, private readonly prefix = "updatesrv:") {
    this.identity = `${prefix}`;
  }

  get(key: string): string | null {
    try {
      return this.store.getItem(this.prefix + key);
    } catch {
      return null; // storage disabled by the user or the webview
    }
  }

  set(key: string, value: string): void {
    this.store.setItem(this.prefix + key, value);
  }
}

/** localStorage where there is one, memory otherwise. */
export function defaultStorage(): StateStorage {
  try {
    const store = (globalThis as { localStorage?: Storage }).localStorage;
    if (store) return new WebStorage(store);
  } catch {
    // Accessing localStorage throws in sandboxed frames.
  }
  return new MemoryStorage();
}
