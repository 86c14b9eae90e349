import { EmohealError } from '../errors'

/** A request the server refuses with this HTTP status; the message becomes the plain-text body. */
export class HttpRequestError extends EmohealError {
  override name = 'HttpRequestError'
  constructor(
    readonly status: number,
    message: string,
    /** Headers the answer needs beyond the body's type (Allow for a 405). */
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}

/** A call refused because its connection already has as many calls waiting as the server keeps. */
export class ServerBusyError extends EmohealError {
  override name = 'ServerBusyError'
}
