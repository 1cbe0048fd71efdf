// wasi:config@0.2.0-draft `store` for one instance: the values the runner read from the template and the env file
// when it loaded the function (local), or answers of an executable provider. Configuration is read-only.
import type { GuestCapabilities } from '../messages.ts';
import { CapabilityError } from './keyvalue-error.ts';
import { askProvider } from './exec-backends.ts';

export const CONFIG_VERSION = '0.2.0-draft';

export function guestConfig(
  config: NonNullable<GuestCapabilities['config']>,
  timeoutMs: () => number,
  notice: (line: string) => void,
): Record<string, unknown> {
  if (config.kind === 'local') {
    const entries = Object.entries(config.values);
    return {
      'wasi:config/store': {
        get: (key: string) => (Object.hasOwn(config.values, key) ? config.values[key] : undefined),
        getAll: () => entries,
      },
    };
  }
  const ask = (op: string, args: Record<string, unknown>): Record<string, unknown> => {
    try {
      return askProvider(config, 'config', op, args, timeoutMs());
    } catch (error) {
      notice(`Open Runtime: wasi:config ${op} failed: ${(error as Error).message}`);
      throw error;
    }
  };
  const garbage = (op: string, value: unknown): never => {
    const message = `the config provider \`${config.name}\` answered ${op} with ${JSON.stringify(value)?.slice(0, 80)}, which is not what PROVIDERS.md says`;
    notice(`Open Runtime: ${message}`);
    throw new CapabilityError(message, { tag: 'upstream', val: message });
  };
  return {
    'wasi:config/store': {
      get(key: string): string | undefined {
        const { value } = ask('get', { key });
        if (value === null || value === undefined) return undefined;
        return typeof value === 'string' ? value : garbage('get', value);
      },
      getAll(): Array<[string, string]> {
        const { values } = ask('get-all', {});
        if (!values || typeof values !== 'object' || Array.isArray(values) || !Object.values(values).every((v) => typeof v === 'string'))
          return garbage('get-all', values);
        return Object.entries(values as Record<string, string>);
      },
    },
  };
}
