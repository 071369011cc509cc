import ts from '../ts.cjs';
import type { ModuleFacts } from '../analyzer/module.js';
import { indentAt } from '../analyzer/parse.js';
import type { Edit } from './types.js';

/** The name the module reaches the duplicate-entry / deadlock errors by (the class its catches test). */
export function errorClass(facts: ModuleFacts, name: 'DBDuplicateEntry' | 'DBDeadlock'): { text: string; importName?: string } {
  for (const imp of facts.imports) {
    const target = imp.mappedTo ?? imp.specifier;
    if (target !== facts.rules.target.module && !/exception/.test(imp.specifier)) continue;
    for (const [local, imported] of imp.bindings) {
      if (imported === '*' && target === facts.rules.target.module) return { text: `${local}.${name}` };
      if (imported === name) return { text: local };
    }
  }
  return { text: name, importName: name };
}

/** `${a}:${b}` from expressions, for a lock name. */
export function lockName(template: string, table: string, keys: string[]): string {
  const key = keys.map((k) => `\${${k}}`).join(':');
  return '`' + template.replace('{table}', table).replace('{key}', key).replace(/:+$/, '') + '`';
}

/** A lock name as people read it in a report: `` `t:${a}` `` → `t:{a}`. */
export function lockLabel(name: string): string {
  return name.slice(1, -1).replace(/\$\{([^}]*)\}/g, '{$1}');
}

/** True when `name` is a parameter of a function around `node`. */
export function isParameter(node: ts.Node, name: string): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) return true;
  }
  return false;
}

/**
 * Wraps the statements of `body` in `acquire; try { ... } finally { release }`: inserts at both
 * ends, and indents the lines in between with soft edits (dropped where another edit rewrote
 * the line, skipped inside template literals, whose text would change).
 */
export function wrapInLock(facts: ModuleFacts, body: ts.Block, name: string, variable: string): Edit[] {
  const { text, sf } = facts;
  const eol = facts.eol;
  const first = body.statements[0];
  const outer = indentAt(text, body.getStart(sf));
  const inner = first ? indentAt(text, first.getStart(sf)) : outer + '  ';
  const step = inner.length > outer.length ? inner.slice(outer.length) : '  ';
  const open = body.getStart(sf) + 1;
  const close = body.end - 1;
  const closeLineStart = text.lastIndexOf('\n', close) + 1;
  // code before the closing brace on its line (`  }) }`) is inside the try, like the lines above
  const sharesLine = text.slice(closeLineStart, close).trim() !== '';
  const edits: Edit[] = [
    { start: open, end: open, text: `${eol}${inner}const ${variable} = ${name};${eol}${inner}await acquire_lock(${variable});${eol}${inner}try {` },
  ];
  const templates: Array<[number, number]> = [];
  const collect = (n: ts.Node): void => {
    if (ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n)) templates.push([n.getStart(sf), n.end]);
    ts.forEachChild(n, collect);
  };
  collect(body);
  for (let i = text.indexOf('\n', open); i !== -1 && i < close; i = text.indexOf('\n', i + 1)) {
    const lineStart = i + 1;
    if (lineStart >= close) break;
    const lineEnd = text.indexOf('\n', lineStart);
    if (text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).trim() === '') continue;
    if (templates.some(([s, e]) => lineStart > s && lineStart < e)) continue;
    if (lineStart >= closeLineStart && !sharesLine) continue;
    edits.push({ start: lineStart, end: lineStart, text: step, soft: true });
  }
  // `return promise` inside try/finally would release the lock before the promise settles
  const owner = body.parent;
  const visitReturns = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && n !== owner) return;
    if (ts.isReturnStatement(n) && n.expression && (ts.isCallExpression(n.expression) || ts.isNewExpression(n.expression))) {
      edits.push({ start: n.expression.getStart(sf), end: n.expression.getStart(sf), text: 'await ' });
    }
    ts.forEachChild(n, visitReturns);
  };
  visitReturns(body);
  const finallyBlock = `${inner}} finally {${eol}${inner}${step}await release_lock(${variable});${eol}${inner}}${eol}`;
  if (!sharesLine) {
    edits.push({ start: closeLineStart, end: closeLineStart, text: finallyBlock });
  } else {
    // the try ends after that code, and the brace moves to a line of its own (inserted at the
    // line's start, the finally would cut the code in two)
    const codeEnd = closeLineStart + text.slice(closeLineStart, close).trimEnd().length;
    edits.push({ start: codeEnd, end: close, text: `${eol}${finallyBlock}${outer}`, asWritten: true });
  }
  return edits;
}
