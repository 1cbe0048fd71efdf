// Finds the Middy chains of a file (`middy(handler).use(a).use([b, c]).before(fn).handler(fn)`, plain or
// exported) and computes each step's event, context and response types with the checker, as Middy's typings make
// the user's code see them, plus what the analysis knows beyond the typings (roles, hooks, the event a
// Powertools parser really hands on). The diagnostics (diagnose.ts) reason on this model.
import ts from 'typescript';
import { followChain, unwrap, type Unfollowed } from './chain-flow.ts';
import { packageHooks, roleOf } from './known-middlewares.ts';
import { MIDDY_HOOKS, type ChainStep, type MiddyHook, type SourceRange, type TypeField } from './report.ts';

const TYPE_FLAGS = ts.TypeFormatFlags.NoTruncation;

/** Fields of types declared by installed packages, by file and type text (see fields()). */
const installedFields = new Map<string, TypeField[]>();

/** A step with the checker's objects the diagnostics need. */
export interface StepModel {
  step: ChainStep;
  node: ts.Node;
  /** Middy's event/context types after this step. */
  event: ts.Type;
  context: ts.Type;
  /** For `.use` elements: the event and context types the middleware itself declares. */
  declaredEvent?: ts.Type;
  declaredContext?: ts.Type;
  /** The `.use([...])` call this element is part of. */
  useCall?: ts.CallExpression;
}

export interface ChainModel {
  name: string;
  exported: boolean;
  node: ts.Expression;
  steps: StepModel[];
  handler?: { node: ts.Node; fn?: ts.SignatureDeclaration; event: ts.Type; context: ts.Type };
  /** Middy's event type where the handler is attached (what the chain provides). */
  chainEvent: ts.Type;
  /** Places where the chain's variable goes where the analysis cannot follow it. */
  unfollowed: Unfollowed[];
  /** What the event really is when the handler runs, when the typings say otherwise (Powertools parser). */
  runtimeEvent?: { type: ts.Type; from: StepModel };
}

export class ChainReader {
  readonly checker: ts.TypeChecker;
  readonly program: ts.Program;

  constructor(program: ts.Program) {
    this.program = program;
    this.checker = program.getTypeChecker();
  }

  /** Printed types of this analysis: steps share most of their fields' types (the same checker objects). */
  private readonly printed = new Map<ts.Type, string>();

  typeText(type: ts.Type, at?: ts.Node): string {
    // Names are resolved from `at`; the chains of one file are printed at the top level, so one text per type.
    let text = this.printed.get(type);
    if (text === undefined) {
      text = this.checker.typeToString(type, at, TYPE_FLAGS);
      this.printed.set(type, text);
    }
    return text;
  }

  range(node: ts.Node): SourceRange {
    const sf = node.getSourceFile();
    const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { file: sf.fileName, start: { line: start.line + 1, column: start.character + 1 }, end: { line: end.line + 1, column: end.character + 1 } };
  }

  fields(type: ts.Type, at: ts.Node, text = this.typeText(type, at)): TypeField[] {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
    const apparent = this.checker.getApparentType(type);
    if (apparent.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike)) return [];
    const properties = this.checker.getPropertiesOfType(apparent).slice(0, 80);
    // Printing each field's type is most of an analysis's time; a type whose fields are all declared by installed
    // packages prints the same after every edit, so it is printed once (per text and file, as names are per file).
    const installed = properties.every((p) => p.declarations?.length && p.declarations.every((d) => d.getSourceFile().fileName.includes('/node_modules/')));
    const key = `${at.getSourceFile().fileName}\0${text}`;
    const cached = installed ? installedFields.get(key) : undefined;
    if (cached) return cached;
    const fields = properties.map((p) => ({
      name: p.name,
      type: this.typeText(this.checker.getTypeOfSymbolAtLocation(p, at), at),
      optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
    }));
    if (installed) {
      if (installedFields.size > 2000) installedFields.clear();
      installedFields.set(key, fields);
    }
    return fields;
  }

  /** Every chain of a file, in source order. */
  chains(sf: ts.SourceFile): ChainModel[] {
    const found: ChainModel[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && this.isMiddy(node.expression)) {
        const chain = this.readChain(node);
        if (chain) found.push(chain);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
  }

  /** `middy` as imported from @middy/core (any local name). */
  private isMiddy(callee: ts.Expression): boolean {
    if (!ts.isIdentifier(callee)) return false;
    const symbol = this.checker.getSymbolAtLocation(callee);
    if (!symbol) return false;
    if (symbol.declarations?.some((d) => importedFrom(d) === '@middy/core')) return true;
    const target = symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    return !!target.declarations?.some((d) => /[\\/]@middy[\\/]core[\\/]/.test(d.getSourceFile().fileName));
  }

  /** Type arguments of `MiddyfiedHandler<E, R, Err, C>` / `MiddlewareObj<E, R, Err, C>`. */
  private typeArgs(type: ts.Type, name: string): readonly ts.Type[] | undefined {
    if (type.aliasSymbol?.name === name && type.aliasTypeArguments) return type.aliasTypeArguments;
    const isReference = (type.flags & ts.TypeFlags.Object) !== 0 && ((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) !== 0;
    if (isReference && type.getSymbol()?.name === name) return this.checker.getTypeArguments(type as ts.TypeReference);
    return undefined;
  }

  private middyTypes(call: ts.Expression): { event: ts.Type; response: ts.Type; context: ts.Type } | undefined {
    const args = this.typeArgs(this.checker.getTypeAtLocation(call), 'MiddyfiedHandler');
    if (!args || args.length < 4) return undefined;
    return { event: args[0]!, response: args[1]!, context: args[3]! };
  }

  private readChain(origin: ts.CallExpression): ChainModel | undefined {
    const originTypes = this.middyTypes(origin);
    if (!originTypes) return undefined;
    const { links, top, name, exported, unfollowed } = followChain(this.checker, origin);
    const steps: StepModel[] = [];
    // Consecutive steps often share a type: its fields are listed once.
    let lastFields: { type: ts.Type; fields: TypeField[] } | undefined;
    const fieldsOf = (type: ts.Type, node: ts.Node, text: string) => {
      if (lastFields?.type !== type) lastFields = { type, fields: this.fields(type, node, text) };
      return lastFields.fields;
    };
    const stepOf = (
      partial: Omit<ChainStep, 'eventType' | 'contextType' | 'responseType' | 'eventFields' | 'range'>,
      node: ts.Node,
      types: { event: ts.Type; response: ts.Type; context: ts.Type },
      extra: Partial<StepModel> = {},
    ): StepModel => {
      const eventType = this.typeText(types.event, node);
      return {
        step: {
          ...partial,
          eventType,
          contextType: this.typeText(types.context, node),
          responseType: this.typeText(types.response, node),
          eventFields: fieldsOf(types.event, node, eventType),
          range: this.range(node),
        },
        node,
        event: types.event,
        context: types.context,
        ...extra,
      };
    };
    steps.push(stepOf({ middleware: 'middy', kind: 'origin', hooks: [] }, origin, originTypes));
    let current = originTypes;
    let handlerExpr = origin.arguments[0] && !ts.isObjectLiteralExpression(origin.arguments[0]) ? origin.arguments[0] : undefined;
    let handlerAt: StepModel | undefined;
    let chainEvent = originTypes.event;
    let runtimeEvent: ChainModel['runtimeEvent'];
    links.forEach(({ method, call }, index) => {
      const types = this.middyTypes(call) ?? current;
      const arg = call.arguments[0];
      if (method === 'handler') {
        chainEvent = current.event;
        handlerExpr = arg;
        current = types;
        return;
      }
      if (method === 'use' && arg) {
        const elements = ts.isArrayLiteralExpression(arg) ? arg.elements.filter((e) => !ts.isSpreadElement(e)) : [arg];
        for (const element of elements) {
          const pkg = this.packageOf(element);
          const declared = this.typeArgs(this.checker.getTypeAtLocation(element), 'MiddlewareObj');
          const role = roleOf(pkg?.name) ?? this.roleFromType(declared?.[0], element) ?? 'custom';
          const model = stepOf(
            {
              middleware: this.middlewareName(element),
              kind: 'use',
              ...(pkg ? { package: pkg.name } : {}),
              role,
              hooks: this.hooksOf(element, pkg),
              ...(ts.isArrayLiteralExpression(arg) ? { group: index } : {}),
            },
            element,
            types,
            { declaredEvent: declared?.[0], declaredContext: declared?.[3], ...(ts.isArrayLiteralExpression(arg) ? { useCall: call } : {}) },
          );
          if (role === 'schema-parser' && declared?.[0]) runtimeEvent = { type: declared[0], from: model };
          steps.push(model);
        }
      } else if (method !== 'use') {
        steps.push(
          stepOf(
            { middleware: arg ? this.hookName(arg, method) : method, kind: method as 'before' | 'after' | 'onError', hooks: [method as MiddyHook] },
            arg ?? call,
            types,
          ),
        );
      }
      current = types;
    });
    if (!links.some((l) => l.method === 'handler')) chainEvent = current.event;
    for (const s of steps) {
      if (runtimeEvent && steps.indexOf(s) >= steps.indexOf(runtimeEvent.from)) {
        const text = this.typeText(runtimeEvent.type, s.node);
        if (text !== s.step.eventType) s.step.runtimeEventType = text;
      }
    }
    let handler: ChainModel['handler'];
    if (handlerExpr) {
      const fn = this.functionOf(handlerExpr);
      const signature = fn ? this.checker.getSignatureFromDeclaration(fn) : this.checker.getTypeAtLocation(handlerExpr).getCallSignatures()[0];
      const paramType = (i: number, fallback: ts.Type) => {
        const p = fn?.parameters[i];
        if (p) return this.checker.getTypeAtLocation(p);
        const s = signature?.parameters[i];
        return s ? this.checker.getTypeOfSymbolAtLocation(s, handlerExpr!) : fallback;
      };
      const event = paramType(0, chainEvent);
      const context = paramType(1, current.context);
      const returned = signature ? signature.getReturnType() : current.response;
      const response = this.checker.getAwaitedType(returned) ?? returned;
      const node = fn ?? handlerExpr;
      handlerAt = stepOf({ middleware: this.handlerName(handlerExpr, fn), kind: 'handler', hooks: [] }, node, { event, context, response });
      if (runtimeEvent) {
        const text = this.typeText(runtimeEvent.type, node);
        if (text !== handlerAt.step.eventType) handlerAt.step.runtimeEventType = text;
      }
      steps.push(handlerAt);
      handler = { node, event, context, ...(fn ? { fn } : {}) };
    }
    return { name, exported, node: top, steps, chainEvent, unfollowed, ...(handler ? { handler } : {}), ...(runtimeEvent ? { runtimeEvent } : {}) };
  }

  /** The package a middleware expression comes from: `httpCors()`, `cors` (= httpCors()), `parser({...})`. */
  packageOf(expr: ts.Expression, depth = 0): { name: string; typings: string | undefined; call?: ts.CallExpression } | undefined {
    expr = unwrap(expr);
    const id = ts.isCallExpression(expr) ? calleeIdentifier(expr.expression) : ts.isIdentifier(expr) ? expr : undefined;
    if (!id) return undefined;
    const symbol = this.checker.getSymbolAtLocation(id);
    const decl = symbol?.declarations?.[0];
    if (!symbol || !decl) return undefined;
    const from = importedFrom(decl);
    if (from && !from.startsWith('.')) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
      return { name: from, typings: target.declarations?.[0]?.getSourceFile().fileName, ...(ts.isCallExpression(expr) ? { call: expr } : {}) };
    }
    if (depth < 2 && ts.isIdentifier(expr) && ts.isVariableDeclaration(decl) && decl.initializer) return this.packageOf(decl.initializer, depth + 1);
    return undefined;
  }

  /** A middleware whose declared event has a `body` that is not a string hands the handler a parsed body. */
  private roleFromType(event: ts.Type | undefined, at: ts.Node): 'body-parser' | undefined {
    if (!event || event.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
    const body = this.checker.getPropertyOfType(this.checker.getApparentType(event), 'body');
    if (!body) return undefined;
    const type = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(body, at));
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return undefined;
    const parts = type.isUnion() ? type.types : [type];
    return parts.some((t) => !(t.flags & ts.TypeFlags.StringLike)) ? 'body-parser' : undefined;
  }

  private hooksOf(expr: ts.Expression, pkg: { name: string; typings: string | undefined; call?: ts.CallExpression } | undefined): MiddyHook[] {
    if (pkg) {
      const known = packageHooks(pkg.name, optionsOf(pkg.call));
      if (known) return known;
    }
    const literal = this.objectLiteralOf(expr, 0);
    if (literal) {
      const names = new Set(literal.properties.map((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : '')));
      return MIDDY_HOOKS.filter((h) => names.has(h));
    }
    const type = this.checker.getTypeAtLocation(expr);
    const present = MIDDY_HOOKS.filter((h) => type.getProperty(h));
    const required = present.filter((h) => !(type.getProperty(h)!.flags & ts.SymbolFlags.Optional));
    return required.length ? required : present;
  }

  /** The object literal a middleware expression evaluates to, when the code says (a literal, a const, a factory). */
  objectLiteralOf(expr: ts.Expression, depth: number): ts.ObjectLiteralExpression | undefined {
    expr = unwrap(expr);
    if (depth > 3) return undefined;
    if (ts.isObjectLiteralExpression(expr)) return expr;
    const target = ts.isCallExpression(expr) ? calleeIdentifier(expr.expression) : ts.isIdentifier(expr) ? expr : undefined;
    if (!target) return undefined;
    let symbol = this.checker.getSymbolAtLocation(target);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (!decl || decl.getSourceFile().isDeclarationFile) return undefined;
    if (ts.isIdentifier(expr) && ts.isVariableDeclaration(decl) && decl.initializer) return this.objectLiteralOf(decl.initializer, depth + 1);
    if (ts.isCallExpression(expr)) {
      const fn = ts.isFunctionDeclaration(decl)
        ? decl
        : ts.isVariableDeclaration(decl) && decl.initializer && isFunctionLike(unwrap(decl.initializer))
          ? (unwrap(decl.initializer) as ts.ArrowFunction | ts.FunctionExpression)
          : undefined;
      if (!fn?.body) return undefined;
      if (!ts.isBlock(fn.body)) return this.objectLiteralOf(fn.body, depth + 1);
      let found: ts.ObjectLiteralExpression | undefined;
      const visit = (n: ts.Node): void => {
        if (found || (n !== fn && isFunctionLike(n))) return;
        if (ts.isReturnStatement(n) && n.expression) found = this.objectLiteralOf(n.expression, depth + 1);
        ts.forEachChild(n, visit);
      };
      visit(fn.body);
      return found;
    }
    return undefined;
  }

  functionOf(expr: ts.Expression): ts.SignatureDeclaration | undefined {
    expr = unwrap(expr);
    if (isFunctionLike(expr)) return expr as ts.SignatureDeclaration;
    if (!ts.isIdentifier(expr)) return undefined;
    let symbol = this.checker.getSymbolAtLocation(expr);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const decl = symbol?.valueDeclaration;
    if (!decl) return undefined;
    if (ts.isFunctionDeclaration(decl)) return decl;
    if (ts.isVariableDeclaration(decl) && decl.initializer && isFunctionLike(unwrap(decl.initializer)))
      return unwrap(decl.initializer) as ts.SignatureDeclaration;
    return undefined;
  }

  private middlewareName(expr: ts.Expression): string {
    expr = unwrap(expr);
    if (ts.isCallExpression(expr)) return expr.expression.getText();
    if (ts.isIdentifier(expr)) return expr.text;
    const literal = this.objectLiteralOf(expr, 0);
    const name = literal?.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'name');
    if (name && ts.isStringLiteral(name.initializer)) return name.initializer.text;
    return 'inline middleware';
  }

  private hookName(expr: ts.Expression, method: string): string {
    expr = unwrap(expr);
    if (ts.isIdentifier(expr)) return expr.text;
    if ((ts.isFunctionExpression(expr) || ts.isFunctionDeclaration(expr)) && expr.name) return expr.name.text;
    return `inline ${method}`;
  }

  private handlerName(expr: ts.Expression, fn: ts.SignatureDeclaration | undefined): string {
    const e = unwrap(expr);
    if (ts.isIdentifier(e)) return e.text;
    if (fn && (ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn)) && fn.name) return fn.name.text;
    return 'handler';
  }
}

/** The options literal of a factory call: property name -> whether its value is the literal `false`. */
function optionsOf(call: ts.CallExpression | undefined): Map<string, boolean> | undefined {
  if (!call) return undefined;
  const arg = call.arguments[0] && unwrap(call.arguments[0]);
  if (!arg) return new Map();
  if (!ts.isObjectLiteralExpression(arg) || arg.properties.some((p) => ts.isSpreadAssignment(p))) return undefined;
  const options = new Map<string, boolean>();
  for (const p of arg.properties) {
    if (!p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return undefined;
    options.set(p.name.text, ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.FalseKeyword);
  }
  return options;
}

function isFunctionLike(node: ts.Node): boolean {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node);
}

function calleeIdentifier(expr: ts.Expression): ts.Identifier | undefined {
  expr = unwrap(expr);
  if (ts.isIdentifier(expr)) return expr;
  if (ts.isPropertyAccessExpression(expr)) return expr.name as ts.Identifier;
  return undefined;
}

/** The module an import declaration element imports from. */
function importedFrom(decl: ts.Node): string | undefined {
  let n: ts.Node | undefined = decl;
  while (n && !ts.isImportDeclaration(n)) {
    if (ts.isSourceFile(n) || ts.isBlock(n)) return undefined;
    n = n.parent;
  }
  return n && ts.isStringLiteral(n.moduleSpecifier) ? n.moduleSpecifier.text : undefined;
}

export { unwrap };
