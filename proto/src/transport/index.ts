// The unix-socket transport both ends of kernelet's wire use: the agent and plugins bind and
// dial sockets at any path length the same way.
export { bindUnixSocket, MAX_UNIX_PATH } from './bind-unix-socket.js';
export { UnixSocketLinks } from './unix-socket-links.js';
export { CallMultiplexer, CallStreamEndedError, CallTimeoutError, type CallStreamResult } from './call-multiplexer.js';
