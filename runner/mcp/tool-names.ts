// The tools' names alone, without their code: the editor registers its Language Model tools at activation with these
// and loads tools.ts (zod, the event catalogue) only when one is called.
export const TOOL_NAMES = ['list_functions', 'invoke_function', 'get_logs', 'list_events', 'generate_event', 'show_chain'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** The editor's name for a tool (package.json `languageModelTools`): VS Code's tools share one namespace. */
export function languageModelToolName(name: ToolName): string {
  return `openRuntime_${name}`;
}
