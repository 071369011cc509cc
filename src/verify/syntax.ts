import ts from '../ts.cjs';
import { collectDirectives, type ManualMarker } from '../analyzer/directives.js';

/** A port parsed (with parent links) and its `// port-db: manual` markers. */
export interface PortSyntax {
  sf: ts.SourceFile;
  markers: ManualMarker[];
}

/**
 * The last ports parsed, by text: verify attributes a port's diagnostics and then pins them,
 * both from the same parse (a 10k-line port takes about 0.1 s to parse and walk). Few are kept:
 * a tree's ports are checked all before any is pinned, and each is parsed again then.
 */
const recent = new Map<string, PortSyntax>();
export const PARSES_KEPT = 4;

export function portSyntax(text: string): PortSyntax {
  const known = recent.get(text);
  if (known) return known;
  // JSDoc is not read here (markers are plain comments): not parsing it halves a documented module's parse
  const sf = ts.createSourceFile('port.ts', text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, true, ts.ScriptKind.TS);
  const boundaries: number[] = [];
  const visit = (node: ts.Node): void => {
    boundaries.push(node.pos, node.end);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const syntax = { sf, markers: collectDirectives(sf, boundaries).markers };
  recent.set(text, syntax);
  if (recent.size > PARSES_KEPT) recent.delete(recent.keys().next().value!);
  return syntax;
}
