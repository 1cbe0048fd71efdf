/**
 * What the project's own runtime clients and the runner agree on beyond the Runtime API. Its own module: the Node
 * client bundle takes nothing else of the runner's.
 */

/** The variable that gives the Node runtime client its environment's direct socket: the Runtime API's /next and buffered answers on a Unix socket (runner/runtime-api/direct.ts). */
export const DIRECT_SOCKET_ENV = 'OPEN_RUNTIME_RUNTIME_API_SOCKET';

/**
 * The header with which the project's Node runtime client sends, with each answer, its process's peak resident memory
 * in KiB (getrusage's ru_maxrss: the kernel's VmHWM of a process started as node itself). The runner checks MemorySize
 * against it at the answer instead of reading /proc/<pid>/status, which cost it a tenth of its CPU per invoke. Other
 * runtimes do not send it and are read from /proc as before; the Python client neither: ru_maxrss keeps the peak of
 * the images a process exec'd from, and python3 is often a shell shim (pyenv's) that execs it. A runtime that
 * under-reports only escapes the check at its answer, not the sampling of the environment's memory while it runs
 * (containment.ts).
 */
export const PEAK_RSS_HEADER = 'Open-Runtime-Peak-Rss-Kb';
