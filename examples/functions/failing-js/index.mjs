// A handler that fails on purpose, to show how an error reaches the caller: Lambda reports the error's
// name as errorType, its message and its stack trace.
class OrderNotFoundError extends Error {
  constructor(orderId) {
    super(`Order ${orderId} does not exist`);
    this.name = 'OrderNotFoundError';
  }
}

function findOrder(orderId) {
  throw new OrderNotFoundError(orderId);
}

export const handler = async (event) => {
  const orderId = event.orderId ?? 'unknown';
  console.log(`looking up order ${orderId}`);
  return findOrder(orderId);
};
