// Holds its environment busy for event.sleepMs, so the benchmark can keep N environments alive at once.
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.sleepMs ?? 0));
  return { pid: process.pid };
};
