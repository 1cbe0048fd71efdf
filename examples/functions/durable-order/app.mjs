// A durable order workflow (Lambda durable functions, @aws/durable-execution-sdk-js): each step's result is
// checkpointed, so when the function is invoked again after a wait, a retry delay or a callback it replays its log
// instead of doing the work twice. It shows steps, a retried step, a child context, parallel branches, a map, a wait
// and a callback completed from outside (open-runtime callback succeed <id> --result '{"approved":true}').
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const order = await context.step('validate', async () => {
    if (!event.orderId) throw new Error('The order has no orderId.');
    return { orderId: event.orderId, items: event.items ?? ['book'] };
  });

  // Fails on its first two attempts (a flaky stock service), then succeeds: the SDK checkpoints each retry.
  const reservation = await context.step(
    'reserve-stock',
    async (step) => {
      if (step.attempt < 3) throw new Error(`Stock service busy (attempt ${step.attempt}).`);
      return { reserved: order.items.length, attempts: step.attempt };
    },
    { retryStrategy: (_error, attempts) => ({ shouldRetry: attempts < 3, delay: { seconds: 1 } }) },
  );

  const pricing = await context.runInChildContext('price', async (child) => {
    const base = await child.step('base-price', async () => order.items.length * 10);
    const tax = await child.step('tax', async () => base * 0.2);
    return { base, tax, total: base + tax };
  });

  const checks = await context.parallel('checks', [
    { name: 'fraud', func: async (branch) => branch.step('fraud-score', async () => 'low') },
    { name: 'address', func: async (branch) => branch.step('address-check', async () => 'valid') },
  ]);

  const labels = await context.map('labels', order.items, async (ctx, item, index) => ctx.step(`label-${index}`, async () => `${order.orderId}-${item}`));

  await context.wait('cool-off', { seconds: 2 });

  const approval = await context.waitForCallback(
    'approval',
    async (callbackId, ctx) => {
      // A real workflow sends the id to someone (an email, a queue); here it goes to the log.
      ctx.logger.info(`Approve with: open-runtime callback succeed ${callbackId} --result '{"approved":true}'`);
    },
    { timeout: { minutes: 10 } },
  );

  return {
    orderId: order.orderId,
    reservation,
    pricing,
    checks: checks.getResults(),
    labels: labels.getResults(),
    approval: typeof approval === 'string' ? JSON.parse(approval) : approval,
  };
});
