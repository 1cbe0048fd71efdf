// `awslambda.InvokeStore`: where Lambda's Node runtime publishes the current request id and trace id, so that
// libraries using @aws/lambda-invoke-store (Powertools, the AWS SDK) find them without a context argument.
// One invoke at a time per process here, so a single slot is enough.

const PROTECTED_KEYS = {
  REQUEST_ID: Symbol.for('_AWS_LAMBDA_REQUEST_ID'),
  X_RAY_TRACE_ID: Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
  TENANT_ID: Symbol.for('_AWS_LAMBDA_TENANT_ID'),
} as const;

type Store = Record<string | symbol, unknown>;

export class InvokeStore {
  static PROTECTED_KEYS = PROTECTED_KEYS;
  private current: Store | undefined;

  isProtectedKey(key: string | symbol): boolean {
    return key === PROTECTED_KEYS.REQUEST_ID || key === PROTECTED_KEYS.X_RAY_TRACE_ID || key === PROTECTED_KEYS.TENANT_ID;
  }
  getContext(): Store | undefined {
    return this.current;
  }
  hasContext(): boolean {
    return this.current !== undefined;
  }
  get(key: string | symbol): unknown {
    return this.current?.[key];
  }
  set(key: string | symbol, value: unknown): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    this.current = this.current ?? {};
    this.current[key] = value;
  }
  run<T>(context: Store, fn: () => T): T {
    this.current = context;
    return fn();
  }
  getRequestId(): string {
    return (this.current?.[PROTECTED_KEYS.REQUEST_ID] as string | undefined) ?? '-';
  }
  getXRayTraceId(): string | undefined {
    return this.current?.[PROTECTED_KEYS.X_RAY_TRACE_ID] as string | undefined;
  }
  getTenantId(): string | undefined {
    return this.current?.[PROTECTED_KEYS.TENANT_ID] as string | undefined;
  }

  /** Called by the invoke loop for each invocation. */
  enter(requestId: string, traceId: string | undefined, tenantId: string | undefined): void {
    this.current = {
      [PROTECTED_KEYS.REQUEST_ID]: requestId,
      [PROTECTED_KEYS.X_RAY_TRACE_ID]: traceId,
      [PROTECTED_KEYS.TENANT_ID]: tenantId,
    };
  }
}
