// The renderer may ask for two things: what is installed, and to install the offered update.
const { contextBridge, ipcRenderer } = require("electron");

contextBridge.exposeInMainWorld("updates", {
  info: () => ipcRenderer.invoke("updatesrv:info"),
  install: () => ipcRenderer.invoke("updatesrv:update"),
});
