/**
 * The variable that gives the Node runtime client its environment's direct socket: the Runtime API's /next and
 * buffered answers on a Unix socket (runner/runtime-api/direct.ts). Its own module: the client bundle takes nothing
 * else of the runner's.
 */
export const DIRECT_SOCKET_ENV = 'OPEN_RUNTIME_RUNTIME_API_SOCKET';
