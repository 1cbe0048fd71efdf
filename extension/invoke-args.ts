// Arguments of openRuntime.invokeWithEvent / openRuntime.debugWithEvent. CodeLenses pass the function part;
// tests (and other extensions) may also pass the event part, which skips the picker.
export interface InvokeArgs {
  /** A function the runner knows (template / serverless.yml name, or an inferred one). */
  readonly functionName?: string;
  /** A handler file (absolute path or file: URI) to run without a template. */
  readonly file?: string;
  /** The export (Node) or function (Python) in `file`; `handler` when not given. */
  readonly exportName?: string;
  /**
   * Names of the template functions that share this handler (the lens row of a shared handler): the user picks one
   * after the click, and the pick is remembered for the handler. Ignored when functionName is given.
   */
  readonly sharedBy?: readonly string[];

  /** A saved event of the function, by name (`.open-runtime/events/<function>/<name>.json`). */
  readonly eventName?: string;
  /** A catalogue template id (e.g. `sqs-message`), rendered with `fieldValues` over its defaults. */
  readonly eventTemplate?: string;
  readonly fieldValues?: Readonly<Record<string, string>>;
  /** With eventTemplate: also save the rendered event under this name. */
  readonly saveAs?: string;
  /** The event itself: JSON text, or any value (sent as its JSON). */
  readonly payload?: unknown;
  /** The tenant of a tenant-isolated function (TenancyConfig PER_TENANT); asked for when not given. */
  readonly tenantId?: string;
}

export function isInvokeArgs(value: unknown): value is InvokeArgs {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const optionalString = (k: string) => v[k] === undefined || typeof v[k] === 'string';
  const sharedBy = v.sharedBy === undefined || (Array.isArray(v.sharedBy) && v.sharedBy.every((n) => typeof n === 'string'));
  return sharedBy && ['functionName', 'file', 'exportName', 'eventName', 'eventTemplate', 'saveAs', 'tenantId'].every(optionalString);
}
