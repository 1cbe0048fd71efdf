// What 'vscode' is to webview code (webview/tsconfig.json maps the name here): nothing, so code here that uses the
// editor's API fails the typecheck. Webviews run in the browser and talk to the extension by postMessage. (Node's
// types are not loaded either: a Node global or built-in fails the typecheck, the browser build and the linter.)
export type WebviewsHaveNoVscode = never;
