/**
 * What one browser (or anything else on this machine that holds the token) may ask of `emoheal serve`
 * at once. Each bound is far above what the renderer needs and far below what would exhaust the
 * process, so a runaway or hostile client is slowed or refused while the server keeps answering.
 */
export const SERVE_LIMITS = {
  /** The largest WebSocket message: the renderer's biggest call (a model configuration) is a few KiB. */
  maxMessageBytes: 1024 * 1024,
  /** Deepest nesting of [ and { in one message; the contract's arguments are at most a few levels deep. */
  maxJsonDepth: 32,
  /**
   * Calls of one connection that run at the same time (received, reply not yet written to the socket).
   * At this count the server stops reading the connection, so a flood is held back by TCP itself.
   */
  callsInFlight: 32,
  /**
   * Calls parsed but not yet started: only frames already read in the chunk that reached the limit
   * can land here; beyond it a call is answered with ServerBusyError at once.
   */
  callsQueued: 4096,
  /** Events not yet written to a connection whose browser stopped reading: past this it is dropped. */
  maxBufferedBytes: 32 * 1024 * 1024,
  /** Open WebSockets (one per browser tab); each one holds an event subscription on the study. */
  maxSockets: 32,
  /** Open TCP connections of any kind, so a local connection flood cannot exhaust file descriptors. */
  maxConnections: 256,
  /** Longest URL path served; the renderer's own paths are under 100 characters. */
  maxPathLength: 1024
} as const
