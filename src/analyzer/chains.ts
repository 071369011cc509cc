import ts from '../ts.cjs';

/** One `.name(args)` link of a method chain. */
export interface ChainLink {
  name: string;
  call: ts.CallExpression;
  access: ts.PropertyAccessExpression;
}

/** A method chain `root.a(...).b(...)...`, links in source order. */
export interface Chain {
  root: ts.Expression;
  links: ChainLink[];
  /** The outermost call of the chain. */
  top: ts.CallExpression;
}

/** Flattens the chain that ends at `call` (the outermost call). */
export function flattenChain(call: ts.CallExpression): Chain {
  const links: ChainLink[] = [];
  let cur: ts.Expression = call;
  while (ts.isCallExpression(cur) && ts.isPropertyAccessExpression(cur.expression)) {
    links.unshift({ name: cur.expression.name.text, call: cur, access: cur.expression });
    cur = cur.expression.expression;
  }
  return { root: cur, links, top: call };
}

/** True when `call` is the outermost call of its chain (its result is not called on again). */
export function isChainTop(call: ts.CallExpression): boolean {
  const p = call.parent;
  return !(ts.isPropertyAccessExpression(p) && p.expression === call && ts.isCallExpression(p.parent) && p.parent.expression === p);
}

/** The name a call is made through: `f(...)` → f, `a.b.f(...)` → f. */
export function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** The expression whose value the chain's result is: the `await` around it when there is one. */
export function valueNode(call: ts.CallExpression): ts.Expression {
  let n: ts.Expression = call;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  if (ts.isAwaitExpression(n.parent)) return n.parent;
  return call;
}
