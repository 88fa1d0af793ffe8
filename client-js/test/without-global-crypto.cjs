// Preloaded by node18.test.js: Node 18 has no global `crypto` (it came in Node 19). A plain
// `delete` in a preload is undone when Node sets up its lazy globals, so it is shadowed.
Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true,
                                              writable: true });
