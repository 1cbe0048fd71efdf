// What 'vscode' is to the runner (runner/tsconfig.json maps the name here): nothing, so code here that uses the
// editor's API fails the typecheck. The runner is a CLI and a sidecar; editor code belongs in extension/.
export type TheRunnerNeverImportsVscode = never;
