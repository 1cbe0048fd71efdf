// Which calls make up one Middy chain, followed by data flow rather than by the shape of one expression: Middy's
// `.use()`/`.before()`/`.handler()` mutate the handler object and return it, so `const h = middy(fn)` followed by
// `h.use(a).use(b)`, `h = h.use(c)` or `export const handler = h.before(d)` on later lines all register on the same
// chain. The variable is followed by the checker's symbols (aliases included); what the analysis cannot follow (a
// registration inside a function or an `if`, the handler passed to another function, a reassignment to something
// else) is returned as `unfollowed`, so the report says that steps may be missing instead of showing fewer.
import ts from 'typescript';

export const CHAIN_METHODS = new Set(['use', 'before', 'after', 'onError', 'handler']);

export interface ChainLink {
  method: string;
  call: ts.CallExpression;
}

export interface Unfollowed {
  node: ts.Node;
  /** One sentence: what the code does there that the analysis does not follow. */
  reason: string;
}

export interface ChainFlow {
  links: ChainLink[];
  /** The outermost expression of the `middy(...)...` statement (the chain's range). */
  top: ts.Expression;
  name: string;
  exported: boolean;
  unfollowed: Unfollowed[];
}

export function unwrap(expr: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(expr) ||
    ts.isAsExpression(expr) ||
    ts.isSatisfiesExpression(expr) ||
    ts.isNonNullExpression(expr) ||
    ts.isTypeAssertionExpression(expr)
  )
    expr = expr.expression;
  return expr;
}

/** The method calls written on `receiver` (`receiver.use(a).before(b)`), and the outermost call. */
function linksOn(receiver: ts.Expression): { links: ChainLink[]; top: ts.Expression } {
  const links: ChainLink[] = [];
  let top: ts.Expression = receiver;
  for (;;) {
    const access = top.parent;
    if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== top || !CHAIN_METHODS.has(access.name.text)) break;
    const call = access.parent;
    if (!ts.isCallExpression(call) || call.expression !== access) break;
    links.push({ method: access.name.text, call });
    top = call;
  }
  return { links, top };
}

/** The node an expression's value lands in, past parentheses and type assertions. */
function outer(expr: ts.Node): ts.Node {
  let n = expr;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isSatisfiesExpression(n.parent) || ts.isNonNullExpression(n.parent))
    n = n.parent;
  return n;
}

/** The variable a chain expression is stored in: `const h = <expr>` or `h = <expr>`. */
function boundTo(expr: ts.Expression): ts.Identifier | undefined {
  const n = outer(expr);
  const parent = n.parent;
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === n && ts.isIdentifier(parent.name)) return parent.name;
  if (parent && ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === n && ts.isIdentifier(parent.left))
    return parent.left;
  return undefined;
}

function isExportedDeclaration(id: ts.Identifier): boolean {
  const statement = id.parent?.parent?.parent;
  return !!statement && ts.isVariableStatement(statement) && !!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Why a registration at `node` may not run exactly once when the module loads, or undefined when it does. */
function conditional(node: ts.Node, scope: ts.Node): string | undefined {
  for (let n = node.parent; n && n !== scope; n = n.parent) {
    if (ts.isFunctionLike(n)) return 'inside a function';
    if (ts.isIfStatement(n) || ts.isConditionalExpression(n) || ts.isSwitchStatement(n)) return 'under a condition';
    if (ts.isIterationStatement(n, false)) return 'in a loop';
    if (
      ts.isBinaryExpression(n) &&
      [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(n.operatorToken.kind)
    )
      return 'under a condition';
    if (ts.isTryStatement(n)) return 'in a try block';
  }
  return undefined;
}

/** The chain that starts at `origin` (a `middy(...)` call), across the statements that register on it. */
export function followChain(checker: ts.TypeChecker, origin: ts.CallExpression): ChainFlow {
  const sf = origin.getSourceFile();
  const first = linksOn(origin);
  const links = [...first.links];
  const unfollowed: Unfollowed[] = [];
  let { name, exported } = chainName(first.top, origin, sf);
  const binding = boundTo(first.top);
  const symbol = binding && checker.getSymbolAtLocation(binding);
  if (!binding || !symbol) return { links, top: first.top, name, exported, unfollowed };

  const tracked = new Set<ts.Symbol>([symbol]);
  const scope = scopeOf(binding);
  const rootOf = (expr: ts.Expression): ts.Symbol | undefined => {
    let e = unwrap(expr);
    while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && CHAIN_METHODS.has(e.expression.name.text))
      e = unwrap(e.expression.expression);
    return ts.isIdentifier(e) ? checker.getSymbolAtLocation(e) : undefined;
  };
  const alias = (id: ts.Identifier) => {
    const s = checker.getSymbolAtLocation(id);
    if (s) tracked.add(s);
    if (isExportedDeclaration(id) && !exported) {
      name = id.text;
      exported = true;
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.pos >= binding.end) {
      const s = checker.getSymbolAtLocation(node);
      if (s && tracked.has(s)) reference(node);
    } else if (ts.isExportSpecifier(node)) {
      const local = checker.getExportSpecifierLocalTargetSymbol(node);
      if (local && tracked.has(local) && !exported) {
        name = node.name.text;
        exported = true;
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  const reference = (id: ts.Identifier): void => {
    const parent = outer(id).parent;
    if (!parent) return;
    if (ts.isVariableDeclaration(parent) && parent.name === id) return;
    // `h = <expr>`: the chain goes on when <expr> is rooted in it (`h = h.use(x)`), else the variable leaves it.
    if (ts.isBinaryExpression(parent) && parent.left === outer(id) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const from = rootOf(parent.right);
      if (!from || !tracked.has(from))
        unfollowed.push({ node: parent, reason: `${id.text} is assigned something else here; registrations on it after this line are not part of this chain` });
      return;
    }
    if (
      ts.isPropertyAccessExpression(parent) &&
      CHAIN_METHODS.has(parent.name.text) &&
      ts.isCallExpression(parent.parent) &&
      parent.parent.expression === parent
    ) {
      const more = linksOn(outer(id) as ts.Expression);
      const why = conditional(id, scope);
      if (why) {
        unfollowed.push({
          node: more.top,
          reason: `${more.links.map((l) => `.${l.method}()`).join('')} on ${id.text} runs ${why}, so whether and when it registers is not known here`,
        });
        return;
      }
      links.push(...more.links);
      const next = boundTo(more.top);
      if (next) alias(next);
      else if (ts.isExportAssignment(outer(more.top).parent) && !exported) {
        name = 'default';
        exported = true;
      }
      return;
    }
    if (ts.isVariableDeclaration(parent) && parent.initializer === outer(id) && ts.isIdentifier(parent.name)) return alias(parent.name);
    if (ts.isExportAssignment(parent)) {
      if (!exported) {
        name = 'default';
        exported = true;
      }
      return;
    }
    if (ts.isCallExpression(parent) && parent.arguments.includes(outer(id) as ts.Expression)) {
      unfollowed.push({
        node: parent,
        reason: `${id.text} is passed to ${parent.expression.getText(sf)}(...), which may register middlewares the analysis does not see`,
      });
    }
  };
  visit(sf);
  return { links, top: first.top, name, exported, unfollowed };
}

/** The block or file a variable's statements live in (registrations outside it are conditional or deferred). */
function scopeOf(id: ts.Identifier): ts.Node {
  let n: ts.Node = id;
  while (n.parent && !ts.isSourceFile(n) && !ts.isBlock(n) && !ts.isModuleBlock(n)) n = n.parent;
  return n;
}

function chainName(top: ts.Expression, origin: ts.Node, sf: ts.SourceFile): { name: string; exported: boolean } {
  const parent = outer(top).parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return { name: parent.name.text, exported: isExportedDeclaration(parent.name) };
  if (parent && ts.isBinaryExpression(parent) && ts.isIdentifier(parent.left)) return { name: parent.left.text, exported: false };
  if (parent && ts.isExportAssignment(parent)) return { name: 'default', exported: true };
  if (parent && ts.isPropertyAssignment(parent)) return { name: parent.name.getText(sf), exported: false };
  return { name: `middy@${sf.getLineAndCharacterOfPosition(origin.getStart(sf)).line + 1}`, exported: false };
}
