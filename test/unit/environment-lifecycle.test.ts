// The execution environment's lifecycle (runner/environments/lifecycle.ts) as a table: every state against every
// event, with the state it must lead to, or null where the move must be refused. A row per pair, so that a move added
// or removed by accident fails here by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shownState, transition, type LifecycleEvent, type LifecycleState } from '../../runner/environments/lifecycle.ts';

const STATES: LifecycleState[] = ['initializing', 'initializing-invoked', 'idle', 'busy', 'stopping', 'stopped'];
const EVENTS: LifecycleEvent[] = ['assign', 'initDone', 'initError', 'finish', 'stop', 'stopped'];

const EXPECTED: Array<[LifecycleState, LifecycleEvent, LifecycleState | null, string]> = [
  ['initializing', 'assign', 'initializing-invoked', 'a cold start: the invocation waits for init'],
  ['initializing', 'initDone', 'idle', 'init over with nothing waiting'],
  ['initializing', 'initError', 'stopping', "the runtime's /init/error during init discards it"],
  ['initializing', 'finish', null, 'nothing to finish'],
  ['initializing', 'stop', 'stopping', 'any shutdown'],
  ['initializing', 'stopped', null, 'gone only after stopping'],
  ['initializing-invoked', 'assign', null, 'one invocation at a time'],
  ['initializing-invoked', 'initDone', 'busy', 'init over: the waiting invocation runs'],
  ['initializing-invoked', 'initError', 'stopping', 'the waiting invocation gets the init error'],
  ['initializing-invoked', 'finish', null, 'it has not run yet'],
  ['initializing-invoked', 'stop', 'stopping', 'any shutdown'],
  ['initializing-invoked', 'stopped', null, 'gone only after stopping'],
  ['idle', 'assign', 'busy', 'a warm start'],
  ['idle', 'initDone', null, 'init ends once'],
  ['idle', 'initError', null, 'a late /init/error: 403 InvalidStateTransition, nothing changes'],
  ['idle', 'finish', null, 'nothing to finish'],
  ['idle', 'stop', 'stopping', 'spindown, exit'],
  ['idle', 'stopped', null, 'gone only after stopping'],
  ['busy', 'assign', null, 'one invocation at a time'],
  ['busy', 'initDone', null, 'init ends once'],
  ['busy', 'initError', null, 'a late /init/error (minlambda after a 413) changes nothing'],
  ['busy', 'finish', 'idle', 'answered: ready for the next'],
  ['busy', 'stop', 'stopping', 'timeout, exit, extension crash'],
  ['busy', 'stopped', null, 'gone only after stopping'],
  ['stopping', 'assign', null, 'a stopping environment takes nothing (the invocation runs elsewhere)'],
  ['stopping', 'initDone', null, 'a runtime asking for events while it is stopped never makes it idle'],
  ['stopping', 'initError', null, 'too late'],
  ['stopping', 'finish', 'stopping', 'a timed-out invocation ends after the stop began; it stays stopping'],
  ['stopping', 'stop', null, 'stops once'],
  ['stopping', 'stopped', 'stopped', 'shutdown complete'],
  ['stopped', 'assign', null, 'gone'],
  ['stopped', 'initDone', null, 'gone'],
  ['stopped', 'initError', null, 'gone'],
  ['stopped', 'finish', null, 'gone'],
  ['stopped', 'stop', null, 'gone'],
  ['stopped', 'stopped', null, 'gone'],
];

test('the table covers every state and event', () => {
  assert.equal(EXPECTED.length, STATES.length * EVENTS.length);
  for (const state of STATES)
    for (const event of EVENTS)
      assert.ok(
        EXPECTED.some(([s, e]) => s === state && e === event),
        `${state} + ${event}`,
      );
});

for (const [from, event, to, why] of EXPECTED) {
  test(`${from} --${event}--> ${to ?? 'refused'}: ${why}`, () => {
    assert.equal(transition(from, event) ?? null, to);
  });
}

test('the control API sees a cold start as busy and a stopped environment as stopping', () => {
  assert.deepEqual(STATES.map(shownState), ['initializing', 'busy', 'idle', 'busy', 'stopping', 'stopping']);
});
