export { UpdateClient, DEFAULT_TIMEOUT_MS, FEEDBACK_KINDS, MAX_ANSWER_BYTES } from "./client.js";
export type { CheckOptions, CheckResult, FeedbackKind, UpdateClientOptions } from "./client.js";
export { NetworkError, ProductNotFound, RequestRejected, ServerError, SignatureError,
         StaleAnswerError, UpdateCheckError } from "./errors.js";
export type { Installed, Notice, Severity, Update } from "./models.js";
export { parseCheck } from "./models.js";
export { MemoryStorage, WebStorage, defaultStorage } from "./storage.js";
export type { StateStorage } from "./storage.js";
export { Transport } from "./transport.js";
export type { FetchLike, Reply } from "./transport.js";
export { ServerTrust, guardOffer, STATEMENT_TYPE } from "./trust.js";
export type { Statement, Target } from "./trust.js";
