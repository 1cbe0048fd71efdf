// Imported first by extension.ts, so this line runs before the rest of the bundle is evaluated: the
// activation time the extension reports covers loading its code, not just activate().
export const bundleStartedAt = performance.now();
