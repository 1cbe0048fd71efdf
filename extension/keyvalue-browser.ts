// The key-value browser: the project's built-in stores (SQLite under .open-runtime/keyvalue/, what components use
// with `keyValue: { name: local }`), then a store's keys with their values, in quick picks. Picking an entry copies
// its value. The runner reads the stores (POST /keyvalue); the extension host never opens the files.
import * as vscode from 'vscode';
import type { Ctx } from './ctx.ts';
import type { KeyValueListing } from '../runner/protocol.ts';

/** Shows a store's entries (the one given, or one the user picks); returns the listing shown, or undefined. */
export async function browseKeyValue(ctx: Ctx, store?: string): Promise<KeyValueListing | undefined> {
  const folder = ctx.folderFor();
  if (!folder) {
    void vscode.window.showErrorMessage('Open Runtime: open a workspace folder to browse its key-value stores.');
    return undefined;
  }
  try {
    const runner = await ctx.runnerFor(folder);
    if (store === undefined) {
      const { stores } = await runner.keyValue();
      if (!stores.length) {
        void vscode.window.showInformationMessage(
          'Open Runtime: this project has no built-in key-value stores yet. A component granted "keyValue: { default: local }" creates one when it first opens it.',
        );
        return undefined;
      }
      store = await vscode.window.showQuickPick(stores, {
        title: 'Key-value stores (.open-runtime/keyvalue)',
        placeHolder: 'Pick a store to see its keys and values',
      });
      if (store === undefined) return undefined;
    }
    const listing = await runner.keyValue(store);
    const items = listing.entries.map((e) => ({
      label: e.key,
      description: e.value.length > 120 ? `${e.value.slice(0, 120)}…` : e.value,
      detail: `${e.bytes} bytes`,
      value: e.value,
    }));
    const title = `Store "${store}": ${listing.entries.length}${listing.truncated ? '+' : ''} keys${listing.truncated ? ' (the first ones)' : ''}`;
    const picked = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: items.length ? 'Pick a key to copy its value' : 'The store is empty',
      matchOnDescription: true,
    });
    if (picked) {
      await vscode.env.clipboard.writeText(picked.value);
      void vscode.window.showInformationMessage(`Open Runtime: copied the value of "${picked.label}" (${store}).`);
    }
    return listing;
  } catch (err) {
    void vscode.window.showErrorMessage(`Open Runtime: ${(err as Error).message}`);
    return undefined;
  }
}
