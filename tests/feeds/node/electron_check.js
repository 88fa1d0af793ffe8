// Drives the real electron-updater (from npm) in plain Node, the way electron-builder's own
// tests do (test/src/helpers/updaterTestUtil.ts, TestAppAdapter.ts): an NsisUpdater on a
// test app adapter, an HTTP executor on Node's http module, an app-update.yml on disk.
// Usage: node electron_check.js '<json>' with
//   {dir, version, feedUrl, stagingId?, allowDowngrade?, download?, oldInstaller?}
// Prints one JSON line: {available, version, files, downloaded, error}.
// With oldInstaller (the installed version's installer, as electron-updater caches it), the
// differential download is on: blockmaps of both versions, then only changed blocks.
// With {differential: {oldFile, newFile, newUrl, size, sha512, oldBlockMap, newBlockMap}}:
// electron-updater's differential download (changed blocks in multi-range requests, the rest
// copied from the old file); prints {downloaded, error, log}.
"use strict"
const fs = require("fs")
const http = require("http")
const path = require("path")
const { HttpExecutor, configureRequestOptions, configureRequestUrl } = require("builder-util-runtime")
const { NsisUpdater } = require("electron-updater")
const { ElectronAppAdapter } = require("electron-updater/out/ElectronAppAdapter")

class NodeHttpExecutor extends HttpExecutor {
  createRequest(options, callback) {
    return http.request(options, callback)
  }

  // The same path as ElectronHttpExecutor.download: doDownload pipes the body through
  // electron-updater's sha512 DigestTransform when the update info carries sha512.
  async download(url, destination, options) {
    return await options.cancellationToken.createPromise((resolve, reject, onCancel) => {
      const requestOptions = { headers: options.headers || undefined, redirect: "manual" }
      configureRequestUrl(url, requestOptions)
      configureRequestOptions(requestOptions)
      this.doDownload(requestOptions, {
        destination,
        options,
        onCancel,
        callback: error => (error == null ? resolve(destination) : reject(error)),
        responseHandler: null,
      }, 0)
    })
  }
}

class MockApp {
  constructor(version) { this.version = version }
  getVersion() { return this.version }
  getName() { return "updatesrv-test-app" }
  getAppPath() { return "" }
  getPath() { throw new Error("must not be called") }
  on() {}
  once() {}
  isReady() { return true }
}

class TestAppAdapter extends ElectronAppAdapter {
  constructor(version, dir) {
    super(new MockApp(version))
    this.dir = dir
  }
  get baseCachePath() { return this.dir }
  get userDataPath() { return this.dir }
  get isPackaged() { return true }
  whenReady() { return Promise.resolve() }
  quit() {}
}

async function differential(args) {
  const { GenericDifferentialDownloader } = require(
    "electron-updater/out/differentialDownloader/GenericDifferentialDownloader")
  const { CancellationToken } = require("builder-util-runtime")
  const log = []
  const logger = { info: m => log.push(String(m)), warn: m => log.push(String(m)), error: m => log.push(String(m)), debug: () => {} }
  const downloader = new GenericDifferentialDownloader({ size: args.size, sha512: args.sha512 }, new NodeHttpExecutor(), {
    newUrl: new URL(args.newUrl), oldFile: args.oldFile, newFile: args.newFile, logger,
    isUseMultipleRangeRequest: true, requestHeaders: {}, cancellationToken: new CancellationToken(),
  })
  const out = { downloaded: false, error: null, log }
  try {
    await downloader.download(args.oldBlockMap, args.newBlockMap)
    out.downloaded = true
  } catch (e) {
    out.error = String((e && e.message) || e)
  }
  process.stdout.write(JSON.stringify(out) + "\n")
}

async function main() {
  const args = JSON.parse(process.argv[2])
  if (args.differential) {
    return differential(args.differential)
  }
  fs.mkdirSync(args.dir, { recursive: true })
  const configPath = path.join(args.dir, "app-update.yml")
  fs.writeFileSync(configPath, `provider: generic\nurl: ${JSON.stringify(args.feedUrl)}\n`)
  if (args.stagingId) {
    // Where electron-updater keeps the install's staging id.
    fs.writeFileSync(path.join(args.dir, ".updaterId"), args.stagingId)
  }
  if (args.oldInstaller) {
    // Where electron-updater keeps the installer of the running version (the app's name
    // when app-update.yml names no updaterCacheDirName).
    const cache = path.join(args.dir, "updatesrv-test-app")
    fs.mkdirSync(cache, { recursive: true })
    fs.copyFileSync(args.oldInstaller, path.join(cache, "installer.exe"))
  }
  const updater = new NsisUpdater(null, new TestAppAdapter(args.version, args.dir))
  updater.httpExecutor = new NodeHttpExecutor()
  // In test mode a failed differential download throws instead of quietly falling back.
  updater._testOnlyOptions = { platform: "win32", isUseDifferentialDownload: Boolean(args.oldInstaller) }
  updater.updateConfigPath = configPath
  updater.autoDownload = false
  updater.disableDifferentialDownload = !args.oldInstaller
  updater.disableWebInstaller = true
  updater.allowDowngrade = Boolean(args.allowDowngrade)
  const log = []
  updater.logger = { info: m => log.push(String(m)), warn: m => log.push(String(m)), error: m => log.push(String(m)), debug: () => {} }
  if (args.oldInstaller) {
    // The web installer path is not used; the differential path needs the real logger.
    updater.disableWebInstaller = true
  }
  const out = { available: false, version: null, files: [], downloaded: null, error: null }
  try {
    const result = await updater.checkForUpdates()
    out.available = Boolean(result && result.isUpdateAvailable)
    out.version = result ? result.updateInfo.version : null
    out.files = result ? result.updateInfo.files : []
    out.releaseNotes = result ? result.updateInfo.releaseNotes || null : null
    out.stagingPercentage = result ? result.updateInfo.stagingPercentage ?? null : null
    if (out.available && args.download) {
      const files = await updater.downloadUpdate()
      out.downloaded = files[0]
    }
  } catch (e) {
    out.error = String((e && e.message) || e)
  }
  out.log = log
  process.stdout.write(JSON.stringify(out) + "\n")
}

main()
