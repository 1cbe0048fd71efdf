// An execution environment's lifecycle in one place: its states, the events that move it, and which moves are allowed.
// Everything else refuses (as the AWS RIE's state machine does): a runtime's /runtime/init/error after its init gets
// 403 InvalidStateTransition and changes nothing, an invocation is never handed to an environment that holds one or is
// stopping, and a stopping environment never becomes idle again. environment.ts moves only through `transition`.

export type LifecycleState =
  /** The runtime is starting (and has not asked for its first event); nothing waits on it. */
  | 'initializing'
  /** The runtime is starting, and an invocation waits for its init (a cold start). */
  | 'initializing-invoked'
  /** Init is over; it can take an invocation. */
  | 'idle'
  /** It holds an invocation. */
  | 'busy'
  /** Shutdown began (spindown, timeout, failure, failed init): it takes nothing more. */
  | 'stopping'
  /** The runtime and the extensions are gone. */
  | 'stopped';

export type LifecycleEvent =
  /** An invocation is handed to the environment. */
  | 'assign'
  /** The runtime asked for its first event. */
  | 'initDone'
  /** The runtime posted /runtime/init/error. */
  | 'initError'
  /** The held invocation ended (answered, or failed), and the environment can take the next one. */
  | 'finish'
  /** Shutdown begins, whatever the reason. */
  | 'stop'
  /** Shutdown is complete. */
  | 'stopped';

/** Every allowed move: from a state, on an event, to a state. A move not listed is refused. */
export const TRANSITIONS: Readonly<Record<LifecycleState, Partial<Record<LifecycleEvent, LifecycleState>>>> = {
  initializing: { assign: 'initializing-invoked', initDone: 'idle', initError: 'stopping', stop: 'stopping' },
  'initializing-invoked': { initDone: 'busy', initError: 'stopping', stop: 'stopping' },
  idle: { assign: 'busy', stop: 'stopping' },
  busy: { finish: 'idle', stop: 'stopping' },
  // An invocation of a stopping environment may still end (a timeout ends it after the stop began).
  stopping: { finish: 'stopping', stopped: 'stopped' },
  stopped: {},
};

/** The state `event` leads to from `state`, or undefined when that move is not allowed. */
export function transition(state: LifecycleState, event: LifecycleEvent): LifecycleState | undefined {
  return TRANSITIONS[state][event];
}

/** The states the control API shows (protocol.ts): a cold start holds its invocation, so it counts as busy. */
export function shownState(state: LifecycleState): 'initializing' | 'idle' | 'busy' | 'stopping' {
  if (state === 'initializing-invoked') return 'busy';
  if (state === 'stopped') return 'stopping';
  return state;
}
