// The chain diagnostics: problems the checker alone does not report, because they come from how Middy runs a
// chain (every `before` runs before the handler in registration order, `after` and `onError` in reverse) and from
// what the middlewares do to the event at run time.
import { dirname } from 'node:path';
import ts from 'typescript';
import type { ChainModel, ChainReader, StepModel } from './middy-chains.ts';
import { unwrap } from './middy-chains.ts';
import { installedMiddyModules } from './middy-installed.ts';
import type { ChainDiagnostic, QuickFix } from './report.ts';
import { shortTypeText } from './type-names.ts';

/**
 * The types one diagnostic's sentence names: their short names in the message (`Context`, not
 * `import("aws-lambda").Context`), and the long forms those stand for, added to the explanation.
 */
function typeNamer(reader: ChainReader) {
  const full: string[] = [];
  return {
    name(type: ts.Type, at: ts.Node): string {
      const text = reader.typeText(type, at);
      const short = shortTypeText(text);
      if (short !== text && !full.includes(text)) full.push(text);
      return short;
    },
    explain(explanation: string): string {
      return full.length ? `${explanation} The type${full.length > 1 ? 's' : ''} above in full: ${full.join('; ')}.` : explanation;
    },
  };
}

interface EventAccess {
  path: string[];
  node: ts.Node;
}

/** `unresolved`: module specifiers of the file's imports that do not resolve. */
export function diagnoseChain(reader: ChainReader, chain: ChainModel, unresolved: ReadonlySet<string> = new Set()): ChainDiagnostic[] {
  const out: ChainDiagnostic[] = [];
  const checker = reader.checker;
  const steps = chain.steps;
  const index = (s: StepModel) => steps.indexOf(s);
  const add = (d: Omit<ChainDiagnostic, 'range'>, node: ts.Node) => out.push({ ...d, range: reader.range(node) });
  /** Swapping two neighbouring `.use(x)` registrations: safe, as nothing registers between them. */
  const swap = (a: StepModel, b: StepModel): Pick<ChainDiagnostic, 'fix'> => {
    if (a.step.kind !== 'use' || b.step.kind !== 'use' || a.useCall || b.useCall || Math.abs(index(a) - index(b)) !== 1) return {};
    return {
      fix: {
        title: `Register ${b.step.middleware} before ${a.step.middleware}`,
        edits: [
          { range: reader.range(a.node), newText: b.node.getText() },
          { range: reader.range(b.node), newText: a.node.getText() },
        ],
      },
    };
  };
  const registered = steps.filter((s) => s.step.kind === 'use' || s.step.kind === 'before' || s.step.kind === 'after' || s.step.kind === 'onError');
  const withRole = (role: string) => registered.filter((s) => s.step.role === role);
  const accesses = chain.handler?.fn ? eventAccesses(checker, chain.handler.fn) : [];

  // The handler reads into the body while nothing parses it.
  const parsesBody = registered.some((s) => s.step.role === 'body-parser' || s.step.role === 'schema-parser');
  const httpLike =
    registered.some((s) => ['cors', 'error-handler', 'header-normalizer', 'validator'].includes(s.step.role ?? '')) ||
    hasStringBody(checker, chain.handler?.event) ||
    hasStringBody(checker, chain.chainEvent);
  if (!parsesBody && httpLike) {
    const stringMembers = checker.getApparentType(checker.getStringType());
    const seen = new Set<string>();
    const fix = addParserFix(reader, chain);
    for (const a of accesses) {
      if (a.path[0] !== 'body' || a.path.length < 2 || checker.getPropertyOfType(stringMembers, a.path[1]!)) continue;
      const text = `event.${a.path.join('.')}`;
      if (seen.has(text)) continue;
      seen.add(text);
      add(
        {
          code: 'body-not-parsed',
          severity: 'error',
          message: `${text} reads a field of the body, but no middleware in this chain parses the body: at run time event.body is still the raw JSON string, so ${text} is undefined.`,
          explanation:
            'Middy runs every before hook ahead of the handler, and only a body parser replaces event.body with the parsed object. Add .use(httpJsonBodyParser()) (@middy/http-json-body-parser) to the chain, or parse the body with Powertools parser({ schema }).',
          ...(fix ? { fix } : {}),
        },
        a.node,
      );
    }
  }

  // The handler reads a field the chain does not provide.
  const provided = chain.runtimeEvent?.type ?? chain.chainEvent;
  if (chain.handler && !(provided.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) {
    const apparent = checker.getApparentType(provided);
    const seen = new Set<string>();
    for (const a of accesses) {
      const field = a.path[0]!;
      if (seen.has(field) || checker.getPropertyOfType(apparent, field)) continue;
      seen.add(field);
      const types = typeNamer(reader);
      const providedText = types.name(provided, a.node);
      const byParser = chain.runtimeEvent;
      add(
        {
          code: 'missing-field',
          severity: byParser ? 'error' : 'warning',
          message: byParser
            ? `event.${field} is not provided by this chain: ${byParser.from.step.middleware}(...) replaces the event with its schema's output (${providedText}), which has no ${field}.`
            : `event.${field} is not provided by this chain: the event it hands the handler is ${providedText}, which has no ${field}.`,
          explanation: types.explain(
            byParser
              ? "Powertools' parser middleware validates the event and hands on only what the schema outputs; Middy's typings still show the original event's fields because .use() intersects types. Add the field to the schema, or read it from the original event before parsing."
              : "The handler's own parameter type promises a field that neither the event source nor any middleware of the chain adds. Add a middleware that sets it, or correct the handler's event type.",
          ),
        },
        a.node,
      );
    }
  }

  // The chain is inferred from the handler (middy(handler)): the handler's own event type is the chain's, so the
  // check above passes by construction. The fields its type adds to the event source's type must come from a
  // middleware that declares them.
  const param = chain.handler?.fn?.parameters[0];
  if (param?.type && !chain.runtimeEvent && chain.handler) {
    const split = splitEventType(checker, checker.getTypeFromTypeNode(param.type));
    // A bare .before() hook, or a middleware of the user's whose event type says nothing, may set any field.
    const opaque = registered.some(
      (s) =>
        s.step.kind === 'before' ||
        (s.step.role === 'custom' &&
          s.step.hooks.includes('before') &&
          (!s.declaredEvent || s.declaredEvent.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))),
    );
    if (split && !opaque) {
      const provided = new Set(
        registered.flatMap((s) =>
          s.declaredEvent && !(s.declaredEvent.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))
            ? checker.getPropertiesOfType(checker.getApparentType(s.declaredEvent)).map((p) => p.name)
            : [],
        ),
      );
      for (const field of split.extras) {
        if (provided.has(field)) continue;
        const at = accesses.find((a) => a.path[0] === field)?.node ?? param;
        const types = typeNamer(reader);
        add(
          {
            code: 'missing-field',
            severity: 'warning',
            message: `event.${field} is not provided by this chain: the handler's event type adds it to ${split.sources.map((t) => types.name(t, param)).join(' & ')}, but no middleware registered on the chain declares it.`,
            explanation: types.explain(
              "middy(handler) takes its event type from the handler, so the typings accept any field the handler asks for. At run time the event has only what the event source sends and what the middlewares add. Register the middleware that sets the field (typed MiddlewareObj<{ ... }>), or remove it from the handler's event type.",
            ),
          },
          at,
        );
      }
    }
  }

  // .use([a, b]): Middy's typings infer one type from the array, and may lose the others' (or all, as any).
  const arrays = new Map<ts.CallExpression, StepModel[]>();
  for (const s of steps) if (s.useCall) arrays.set(s.useCall, [...(arrays.get(s.useCall) ?? []), s]);
  for (const [call, elements] of arrays) {
    for (const what of ['event', 'context'] as const) {
      const actual = what === 'event' ? elements[0]!.event : elements[0]!.context;
      const lost = elements.filter((s) => {
        const declared = what === 'event' ? s.declaredEvent : s.declaredContext;
        if (!declared || declared.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
        return (actual.flags & ts.TypeFlags.Any) !== 0 || !checker.isTypeAssignableTo(actual, declared);
      });
      if (!lost.length) continue;
      const names = lost.map((s) => s.step.middleware).join(' and ');
      const types = typeNamer(reader);
      const actualText = types.name(actual, call);
      const declared = lost.map((s) => types.name((what === 'event' ? s.declaredEvent : s.declaredContext)!, s.node)).join(', ');
      add(
        {
          code: 'use-array-loses-types',
          severity: 'warning',
          message: `.use([...]) lost the ${what} type of ${names}: after this call the ${what} is ${actualText}, not what ${lost.length > 1 ? 'they declare' : 'it declares'} (${declared}).`,
          explanation: types.explain(
            "Middy's typings infer a single middleware type from an array, so the elements' types do not all reach the handler. Register the middlewares one by one, .use(a).use(b): they run in the same order.",
          ),
          step: index(lost[0]!),
        },
        call.arguments[0]!,
      );
    }
  }

  // An error handler that runs its onError before other onError hooks.
  for (const handler of withRole('error-handler')) {
    // Loggers are left out: their onError must run first, to see the error before the handler sanitises it.
    const later = registered.filter(
      (s) => index(s) > index(handler) && s.step.hooks.includes('onError') && !['response-serializer', 'logger', 'error-logger'].includes(s.step.role ?? ''),
    );
    if (!later.length) continue;
    const names = later.map((s) => s.step.middleware).join(', ');
    const cors = later.some((s) => s.step.role === 'cors');
    add(
      {
        code: 'error-handler-order',
        severity: 'warning',
        message: `${handler.step.middleware} is registered before ${names}, so their onError hooks run first and it cannot see the errors they throw or answer themselves${cors ? "; httpCors's onError runs while there is no response yet, so error responses go out without CORS headers" : ''}.`,
        explanation: `Middy runs onError hooks in reverse registration order, and stops at the first hook that returns a response or throws. Register ${handler.step.middleware} after ${names} so it handles errors first and the others see its response.`,
        step: index(handler),
        ...(later.length === 1 ? swap(handler, later[0]!) : {}),
      },
      handler.node,
    );
  }

  // An error logger whose onError runs after the error handler replaced the error with a generic 500.
  for (const logger of withRole('error-logger').filter((s) => s.step.hooks.includes('onError'))) {
    const handler = withRole('error-handler').find((h) => index(h) > index(logger));
    if (!handler) continue;
    add(
      {
        code: 'error-logged-after-handling',
        severity: 'warning',
        message: `${logger.step.middleware} is registered before ${handler.step.middleware}, so its onError runs after ${handler.step.middleware} has replaced an unexpected error with a generic 500: the log shows the sanitised error, not the one that was thrown.`,
        explanation: `Middy runs onError hooks in reverse registration order. Register ${logger.step.middleware} after ${handler.step.middleware} (.use(${handler.step.middleware}(...)).use(${logger.step.middleware}(...))) so it logs the original error first.`,
        step: index(logger),
        ...swap(logger, handler),
      },
      logger.node,
    );
  }

  // Validation that runs before the body is parsed.
  const parsers = withRole('body-parser');
  for (const check of [...withRole('validator'), ...withRole('schema-parser')]) {
    const parser = parsers.find((p) => index(p) > index(check));
    if (!parser || !check.step.hooks.includes('before')) continue;
    add(
      {
        code: 'validate-before-parse',
        severity: 'warning',
        message: `${check.step.middleware} validates the event before ${parser.step.middleware} parses the body, so it sees event.body as a string and a schema for a JSON body fails.`,
        explanation: `before hooks run in registration order. Register ${parser.step.middleware} before ${check.step.middleware}.`,
        step: index(check),
        ...swap(check, parser),
      },
      check.node,
    );
  }

  // Header normalisation after middlewares that already read headers.
  for (const normalizer of withRole('header-normalizer')) {
    const readers = registered.filter(
      (s) => index(s) < index(normalizer) && s.step.hooks.includes('before') && ['body-parser', 'cors', 'validator'].includes(s.step.role ?? ''),
    );
    if (!readers.length) continue;
    const names = readers.map((s) => s.step.middleware).join(', ');
    add(
      {
        code: 'normalize-after-read',
        severity: 'warning',
        message: `${normalizer.step.middleware} runs after ${names}, which already read the headers with their original case (a Content-Type sent as CONTENT-TYPE is missed).`,
        explanation: `before hooks run in registration order. Register ${normalizer.step.middleware} first.`,
        step: index(normalizer),
        ...(readers.length === 1 ? swap(readers[0]!, normalizer) : {}),
      },
      normalizer.node,
    );
  }

  // any leaking into the handler.
  if (chain.handler) {
    const source = (pick: (s: StepModel) => ts.Type) => steps.find((s) => s.step.kind !== 'handler' && pick(s).flags & ts.TypeFlags.Any);
    for (const [type, what, pick] of [
      [chain.handler.event, 'event', (s: StepModel) => s.event],
      [chain.handler.context, 'context', (s: StepModel) => s.context],
    ] as const) {
      if (!(type.flags & ts.TypeFlags.Any)) continue;
      const from = source(pick);
      const param = chain.handler.fn?.parameters[what === 'event' ? 0 : 1];
      add(
        {
          code: 'any-leak',
          severity: 'warning',
          message: `The handler's ${what} is any${from ? `: it ${origin(from)}` : ''}, so nothing the handler reads from it is checked.`,
          explanation: `any absorbs every other type in Middy's intersections. Type the ${what} (middy<MyEvent>() or an annotated handler parameter), or give the middleware a MiddlewareObj<...> type.`,
          ...(from ? { step: index(from) } : {}),
        },
        param ?? chain.handler.node,
      );
    }
    if (!(chain.handler.event.flags & ts.TypeFlags.Any)) {
      const apparent = checker.getApparentType(chain.handler.event);
      const seen = new Set<string>();
      for (const a of accesses) {
        const field = a.path[0]!;
        const symbol = checker.getPropertyOfType(apparent, field);
        if (!symbol || seen.has(field)) continue;
        seen.add(field);
        if (!(checker.getTypeOfSymbolAtLocation(symbol, a.node).flags & ts.TypeFlags.Any)) continue;
        add(
          {
            code: 'any-leak',
            severity: 'info',
            message: `event.${field} is any in the handler, so what the handler reads from it is not checked.`,
            explanation: `A middleware or the event type declares ${field} as any. Give it a real type (a Powertools schema, or the handler's event type).`,
          },
          a.node,
        );
      }
    }
  }
  // Steps built from an import that does not resolve: any, silently, in the typings.
  for (const s of registered.filter((s) => s.step.package && unresolved.has(s.step.package))) {
    add(
      {
        code: 'unresolved-import',
        severity: 'warning',
        message: `${s.step.middleware} comes from '${s.step.package}', which does not resolve from this file: this step is any, and the chain's types and checks after it are not real.`,
        explanation: `Install ${s.step.package} where this file's node_modules are, or correct the import. Until it resolves the analysis does not know this middleware's role, hooks or types.`,
        step: index(s),
      },
      s.node,
    );
  }

  // Where the chain's variable goes and the analysis cannot follow it: steps may be missing.
  for (const u of chain.unfollowed) {
    add(
      {
        code: 'chain-not-followed',
        severity: 'info',
        message: `The chain ${chain.name} is not followed here: ${u.reason}.`,
        explanation:
          'The analysis follows a Middy handler through variables, reassignments and exports in this file, in the order the module runs. Registrations in functions, under conditions or in other modules are not part of the steps shown, and the diagnostics do not take them into account.',
      },
      u.node,
    );
  }
  return out;
}

const JSON_PARSER = '@middy/http-json-body-parser';

/**
 * Adds httpJsonBodyParser() to a chain: registered right after middy(...) (or after the header normalizer, which must
 * come first), imported if the file does not import it yet. Offered only when the package is installed.
 */
function addParserFix(reader: ChainReader, chain: ChainModel): QuickFix | undefined {
  const origin = chain.steps[0];
  if (!origin || origin.step.kind !== 'origin') return undefined;
  const sf = origin.node.getSourceFile();
  if (!installedMiddyModules(dirname(sf.fileName))?.includes(JSON_PARSER)) return undefined;
  const imported = sf.statements.find(
    (s): s is ts.ImportDeclaration =>
      ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === JSON_PARSER && !!s.importClause?.name,
  );
  const name = imported?.importClause?.name?.text ?? 'httpJsonBodyParser';
  const normalizer = chain.steps.find((s) => s.step.role === 'header-normalizer' && !s.useCall && ts.isCallExpression(s.node.parent));
  const after = normalizer ? normalizer.node.parent : origin.node;
  const at = (pos: number) => {
    const p = sf.getLineAndCharacterOfPosition(pos);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const point = (pos: number) => ({ file: sf.fileName, start: at(pos), end: at(pos) });
  const edits: QuickFix['edits'] = [{ range: point(after.getEnd()), newText: `.use(${name}())` }];
  if (!imported) {
    const lastImport = [...sf.statements].reverse().find(ts.isImportDeclaration);
    edits.unshift(
      lastImport
        ? { range: point(lastImport.getEnd()), newText: `\nimport ${name} from '${JSON_PARSER}';` }
        : { range: point(0), newText: `import ${name} from '${JSON_PARSER}';\n` },
    );
  }
  return { title: `Parse the body: add .use(${name}()) to the chain`, edits };
}

function origin(step: StepModel): string {
  if (step.useCall) return "became any in .use([...]), where Middy's typings lost the array's types";
  return `comes from ${step.step.kind === 'origin' ? 'middy()' : step.step.middleware}, whose typings say any`;
}

/** An event type as the event source's part (declared in node_modules) and the fields the user's code adds to it. */
function splitEventType(checker: ts.TypeChecker, type: ts.Type): { sources: ts.Type[]; extras: string[] } | undefined {
  // A type of a package (aws-lambda's APIGatewayProxyEvent), not of TypeScript's lib (Omit<...> is the user's shape).
  const fromLibrary = (t: ts.Type) =>
    !!(t.aliasSymbol ?? t.getSymbol())?.declarations?.some((d) => /\/node_modules\/(?!typescript\/lib\/)/.test(d.getSourceFile().fileName));
  const sources: ts.Type[] = [];
  const own: ts.Type[] = [];
  for (const part of type.isIntersection() ? type.types : [type]) {
    if (fromLibrary(part)) {
      sources.push(part);
      continue;
    }
    const bases = part.isClassOrInterface() ? (checker.getBaseTypes(part) ?? []) : [];
    if (bases.length && bases.every(fromLibrary)) {
      sources.push(...bases);
      own.push(part);
    } else own.push(part);
  }
  if (!sources.length || !own.length) return undefined;
  const sourceFields = new Set(sources.flatMap((t) => checker.getPropertiesOfType(checker.getApparentType(t)).map((p) => p.name)));
  // Optional fields are not demanded; the body is body-not-parsed's business.
  const required = own.flatMap((t) =>
    checker
      .getPropertiesOfType(checker.getApparentType(t))
      .filter((p) => !(p.flags & ts.SymbolFlags.Optional))
      .map((p) => p.name),
  );
  const extras = [...new Set(required)].filter((f) => f !== 'body' && !sourceFields.has(f));
  return { sources, extras };
}

function hasStringBody(checker: ts.TypeChecker, type: ts.Type | undefined): boolean {
  if (!type || type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
  const parts = type.isUnion() ? type.types : [type];
  return parts.some((t) => {
    const body = checker.getPropertyOfType(checker.getApparentType(t), 'body');
    if (!body || !body.valueDeclaration) return false;
    const bodyType = checker.getTypeOfSymbol(body);
    return (bodyType.isUnion() ? bodyType.types : [bodyType]).some((b) => (b.flags & ts.TypeFlags.StringLike) !== 0);
  });
}

/** Every `event.a.b` the handler reads, through aliases (`const { body } = event`, `const b = event.body`). */
function eventAccesses(checker: ts.TypeChecker, fn: ts.SignatureDeclaration): EventAccess[] {
  const param = fn.parameters[0];
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!param || !body) return [];
  const roots = new Map<ts.Symbol, string[]>();
  const bind = (name: ts.BindingName, path: string[]) => {
    if (ts.isIdentifier(name)) {
      const s = checker.getSymbolAtLocation(name);
      if (s) roots.set(s, path);
      return;
    }
    if (ts.isObjectBindingPattern(name)) {
      for (const el of name.elements) {
        if (el.dotDotDotToken) continue;
        const key = el.propertyName
          ? ts.isIdentifier(el.propertyName) || ts.isStringLiteral(el.propertyName)
            ? el.propertyName.text
            : undefined
          : ts.isIdentifier(el.name)
            ? el.name.text
            : undefined;
        if (key) bind(el.name, [...path, key]);
      }
    }
  };
  bind(param.name, []);
  const pathOf = (expr: ts.Expression): string[] | undefined => {
    expr = unwrap(expr);
    if (ts.isIdentifier(expr)) {
      const s = checker.getSymbolAtLocation(expr);
      return s ? roots.get(s) : undefined;
    }
    if (ts.isPropertyAccessExpression(expr) || ts.isPropertyAccessChain(expr)) {
      const p = pathOf(expr.expression);
      return p && [...p, expr.name.text];
    }
    if (ts.isElementAccessExpression(expr) && ts.isStringLiteralLike(expr.argumentExpression)) {
      const p = pathOf(expr.expression);
      return p && [...p, expr.argumentExpression.text];
    }
    return undefined;
  };
  const found: EventAccess[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.initializer) {
      visit(node.initializer);
      const p = pathOf(node.initializer);
      if (p) bind(node.name, p);
      return;
    }
    if (ts.isIdentifier(node) && !(ts.isBindingElement(node.parent) || ts.isParameter(node.parent) || ts.isVariableDeclaration(node.parent))) {
      const s = checker.getSymbolAtLocation(node);
      const root = s && roots.get(s);
      if (root) {
        let outer: ts.Node = node;
        while (
          (ts.isPropertyAccessExpression(outer.parent) && outer.parent.expression === outer) ||
          (ts.isElementAccessExpression(outer.parent) && outer.parent.expression === outer && ts.isStringLiteralLike(outer.parent.argumentExpression)) ||
          ts.isNonNullExpression(outer.parent) ||
          ts.isParenthesizedExpression(outer.parent)
        ) {
          outer = outer.parent;
        }
        const path = pathOf(outer as ts.Expression);
        if (path && path.length) found.push({ path, node: outer });
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}
