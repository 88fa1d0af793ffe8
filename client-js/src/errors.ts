/** One exception tree, as in the Python client: catch UpdateCheckError to never crash. */

export class UpdateCheckError extends Error {
  override name = "UpdateCheckError";
}

/** The server could not be reached (DNS, refused, TLS), or did not answer within the deadline. */
export class NetworkError extends UpdateCheckError {
  override name = "NetworkError";
}

/** A 5xx, or an answer that is not the expected one (not JSON, too large, badly formed,
 * redirected to another origin). */
export class ServerError extends UpdateCheckError {
  override name = "ServerError";
  constructor(message: string, readonly status: number | null = null) {
    super(message);
  }
}

/** The server refused the request (4xx); `detail` is its explanation. */
export class RequestRejected extends UpdateCheckError {
  override name = "RequestRejected";
  constructor(message: string, readonly status: number, readonly detail = "") {
    super(message);
  }
}

export class ProductNotFound extends RequestRejected {
  override name = "ProductNotFound";
}

/** Server keys are configured and the answer is not signed by one of them, or is signed for
 * another product, version, channel or platform. */
export class SignatureError extends UpdateCheckError {
  override name = "SignatureError";
}

/** An authentic answer that must not be used: expired, older than one already seen (a lower
 * catalog serial), or offering a version that is not newer than the installed one. */
export class StaleAnswerError extends UpdateCheckError {
  override name = "StaleAnswerError";
}
