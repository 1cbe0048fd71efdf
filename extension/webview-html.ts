// The HTML shell of the extension's webviews: a strict Content-Security-Policy where only the nonce-bearing
// script (the bundle in dist/webview/) and style run; everything the page shows, its script draws.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

export function webviewHtml(webview: vscode.Webview, script: vscode.Uri, page: { title: string; main: string; css?: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${page.title}</title>
${page.css ? `<style nonce="${nonce}">${page.css}</style>` : ''}
</head>
<body>
${page.main}
<script nonce="${nonce}" src="${webview.asWebviewUri(script).toString()}"></script>
</body>
</html>`;
}
