// Type texts as people read them. The analysis prints a type the way the user's file could write it, so a name not in
// scope there comes with the module it is from: `import("aws-lambda").Context`, or a path
// (`import("/home/me/app/node_modules/@types/aws-lambda/handler").Context`) when no package name reaches it. That
// long form stays in the report (the CLI's JSON, the hover); what the chain view and the diagnostics' sentences show
// is the short name, `Context`. No imports: the webview (browser) uses it too.

/** `import("…").` qualifiers, with any escaped quote inside the specifier. */
const IMPORT_QUALIFIER = /import\("(?:[^"\\]|\\.)*"\)\./g;

/** The type text without its `import("…").` qualifiers: `import("aws-lambda").Context | null` -> `Context | null`. */
export function shortTypeText(text: string): string {
  return text.replace(IMPORT_QUALIFIER, '');
}
