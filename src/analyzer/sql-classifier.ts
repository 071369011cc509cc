/**
 * Tells an SQL statement from prose. The text of a string or template literal is tokenised like
 * SQL and checked against the opening of each statement kind (keyword, then the structural
 * keyword and an identifier in the right slot). Prose is rejected by English function words
 * where identifiers stand, by bare "adjective noun" select lists, and, when the keywords are not
 * upper case, by the lack of anything only SQL has (operators, placeholders, `*`, parentheses,
 * snake_case or quoted identifiers).
 */

/** Stands for a `${...}` substitution of a template literal in the classified text. */
export const SUBSTITUTION = '\u0000';

export interface ClassifyOptions {
  /**
   * The literal sits where SQL is expected (argument of `text(...)`/`execute(...)`, or a
   * template tagged `sql`): structure alone is enough, and `SELECT <expr>` without FROM counts.
   */
  hinted?: boolean;
}

export interface SqlStatement {
  /** Statement keyword, upper case: SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, TRUNCATE, WITH, REPLACE. */
  kind: string;
}

type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'param' | 'punct';

interface Token {
  kind: TokenKind;
  text: string;
  /** Upper-cased text of a word. */
  upper: string;
}

const MAX_TOKENS = 400;
const MAX_CHARS = 8000;

/** Words that cannot be bare identifiers in SQL. */
const RESERVED = new Set(
  (
    'SELECT FROM WHERE INSERT INTO UPDATE SET DELETE VALUES CREATE ALTER DROP TABLE AND OR NOT NULL IS IN AS ON ' +
    'JOIN LEFT RIGHT INNER OUTER FULL CROSS NATURAL GROUP ORDER BY HAVING LIMIT OFFSET UNION ALL DISTINCT CASE ' +
    'WHEN THEN ELSE END WITH RETURNING USING LIKE BETWEEN EXISTS INDEX VIEW PRIMARY KEY FOREIGN REFERENCES ' +
    'DEFAULT UNIQUE CHECK CONSTRAINT TRUNCATE FOR INTERSECT EXCEPT FETCH WINDOW INTO TO'
  ).split(' '),
);

/**
 * English function words that never stand for a table or column in real SQL. Single letters are
 * left out on purpose: `a` and `i` are common aliases.
 */
const PROSE_WORDS = new Set(
  (
    'the an this that these those my your our their his her its you we they me us them please ' +
    'should would could can will was were are been has have had does did there here what who how why ' +
    'it be than also just very so but because which'
  ).split(' '),
);

/** Clause keywords that may follow a table reference. */
const AFTER_TABLE = new Set(
  (
    'WHERE JOIN INNER LEFT RIGHT FULL CROSS NATURAL ORDER GROUP LIMIT OFFSET UNION HAVING FOR FETCH WINDOW ' +
    'RETURNING USING INTERSECT EXCEPT ON'
  ).split(' '),
);

/**
 * Statements whose opening alone reads like prose in lower case ("delete from cache"). UPDATE
 * (`SET col =`), ALTER TABLE (`ADD`/`DROP`/...) and WITH (`AS (SELECT`) carry their own proof.
 */
const NEEDS_EVIDENCE = new Set(['SELECT', 'INSERT', 'REPLACE', 'DELETE', 'CREATE', 'DROP', 'TRUNCATE']);

/** Punctuation only SQL-like text has (as opposed to prose). */
const SQL_PUNCT = new Set(['*', '=', '<', '>', '<=', '>=', '<>', '!=', '(', ';', '||', '::']);

/** Returns the statement kind when `text` is an SQL statement, else null. */
export function classifySql(text: string, options: ClassifyOptions = {}): SqlStatement | null {
  const tokens = tokenize(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text);
  let i = 0;
  while (i < tokens.length && tokens[i].text === '(') i++;
  const first = tokens[i];
  if (!first || first.kind !== 'word') return null;
  const strong = isUpperWord(first.text);
  const hinted = options.hinted === true;
  if (hasProseWords(tokens)) return null;
  const p = new Parser(tokens, i + 1);
  const ok = (() => {
    switch (first.upper) {
      case 'SELECT':
        return matchSelect(p, strong, hinted);
      case 'INSERT':
      case 'REPLACE':
        return matchInsert(p, first.upper, strong, hinted);
      case 'UPDATE':
        return matchUpdate(p);
      case 'DELETE':
        return matchDelete(p, strong, hinted);
      case 'CREATE':
        return matchCreate(p, strong, hinted);
      case 'ALTER':
        return matchAlter(p);
      case 'DROP':
        return matchDrop(p, strong, hinted);
      case 'TRUNCATE':
        return matchTruncate(p, strong, hinted);
      case 'WITH':
        return matchWith(p);
      default:
        return false;
    }
  })();
  if (!ok) return null;
  if (!strong && !hinted && NEEDS_EVIDENCE.has(first.upper) && (!hasSqlEvidence(tokens) || endsLikeSentence(text))) return null;
  return { kind: first.upper };
}

/** True when `text` is an SQL statement (see {@link classifySql}). */
export function isSqlStatement(text: string, options?: ClassifyOptions): boolean {
  return classifySql(text, options) !== null;
}

class Parser {
  constructor(
    readonly tokens: Token[],
    public i: number,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  /** Consumes the next token when it is one of the keywords. */
  keyword(...words: string[]): string | undefined {
    const t = this.peek();
    if (t && t.kind === 'word' && words.includes(t.upper)) {
      this.i++;
      return t.upper;
    }
    return undefined;
  }

  punct(text: string): boolean {
    const t = this.peek();
    if (t && t.kind === 'punct' && t.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  /** Consumes a (possibly qualified) identifier: `name`, `"name"`, `schema.name`, a placeholder. */
  identifier(): boolean {
    if (!this.identifierPart()) return false;
    while (this.peek()?.text === '.' && this.isIdentifierPart(this.peek(1))) {
      this.i += 2;
    }
    return true;
  }

  private identifierPart(): boolean {
    if (!this.isIdentifierPart(this.peek())) return false;
    this.i++;
    return true;
  }

  isIdentifierPart(t: Token | undefined): boolean {
    if (!t) return false;
    if (t.kind === 'qident' || t.kind === 'param') return true;
    return t.kind === 'word' && !RESERVED.has(t.upper) && !PROSE_WORDS.has(t.text.toLowerCase());
  }

  /** Skips a balanced parenthesised group starting at the current `(`. */
  group(): boolean {
    if (this.peek()?.text !== '(') return false;
    let depth = 0;
    while (!this.atEnd()) {
      const t = this.tokens[this.i++];
      if (t.kind !== 'punct') continue;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return true;
    }
    return true;
  }

  /** `[AS] alias` after a table reference; a bare alias must not be the last word (`from cache failed`). */
  alias(): void {
    if (this.keyword('AS')) {
      this.identifier();
      return;
    }
    if (this.isIdentifierPart(this.peek()) && this.peek(1) !== undefined) this.identifier();
  }

  /** True when what follows a table reference is the end or a clause keyword. */
  tableTail(): boolean {
    const t = this.peek();
    if (!t) return true;
    if (t.kind === 'punct') return t.text === ';' || t.text === ')';
    return t.kind === 'word' && AFTER_TABLE.has(t.upper);
  }
}

/** A table reference: identifier or subquery, then an optional alias. */
function tableRef(p: Parser): boolean {
  if (p.peek()?.text === '(') {
    const inner = p.peek(1);
    if (!inner || inner.kind !== 'word' || !['SELECT', 'WITH', 'VALUES'].includes(inner.upper)) return false;
    p.group();
  } else if (!p.identifier()) {
    return false;
  }
  p.alias();
  return true;
}

/** Table list of FROM: refs separated by commas or JOINs; checked only in weak mode. */
function tableList(p: Parser): boolean {
  if (!tableRef(p)) return false;
  while (p.punct(',')) {
    if (!tableRef(p)) return false;
  }
  return p.tableTail();
}

function matchSelect(p: Parser, strong: boolean, hinted: boolean): boolean {
  p.keyword('DISTINCT', 'ALL');
  const items = selectList(p);
  if (items === null) return false;
  if (!p.keyword('FROM')) {
    // `SELECT 1`, `select now()`: only where SQL is expected.
    return hinted && p.atEnd() && items.length > 0;
  }
  if (strong || hinted) return tableRef(p);
  if (items.some((item) => isBareWordPair(item))) return false;
  return tableList(p);
}

/** Select-list items up to the top-level FROM (or the end); null when an item is empty. */
function selectList(p: Parser): Token[][] | null {
  const items: Token[][] = [[]];
  let depth = 0;
  while (!p.atEnd()) {
    const t = p.peek()!;
    if (depth === 0 && t.kind === 'word' && t.upper === 'FROM') break;
    if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (t.text === ',' && depth === 0) {
        items.push([]);
        p.i++;
        continue;
      }
      if (depth < 0) return null;
    }
    items[items.length - 1].push(t);
    p.i++;
  }
  if (items.some((item) => item.length === 0)) return null;
  return items;
}

/** `an option`, `instance name`: two bare words and nothing else, i.e. prose rather than `col alias`. */
function isBareWordPair(item: Token[]): boolean {
  return item.length >= 2 && item.every((t) => t.kind === 'word' && !t.text.includes('_'));
}

function matchInsert(p: Parser, keyword: string, strong: boolean, hinted: boolean): boolean {
  if (keyword === 'INSERT') {
    if (p.keyword('OR')) {
      if (!p.keyword('REPLACE', 'IGNORE', 'ABORT', 'ROLLBACK', 'FAIL')) return false;
    }
    p.keyword('IGNORE', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY');
  }
  if (!p.keyword('INTO')) return false;
  if (!p.identifier()) return false;
  if (strong) return true;
  if (p.keyword('AS')) p.identifier();
  if (p.peek()?.text === '(') {
    const inner = p.peek(1);
    if (inner?.kind === 'word' && inner.upper === 'SELECT') return true;
    p.group();
  }
  if (p.keyword('VALUES', 'VALUE', 'SELECT', 'WITH', 'SET')) return true;
  if (p.keyword('DEFAULT')) return p.keyword('VALUES') !== undefined;
  return hinted && p.atEnd();
}

function matchUpdate(p: Parser): boolean {
  p.keyword('ONLY', 'LOW_PRIORITY', 'IGNORE');
  if (!p.identifier()) return false;
  if (!p.keyword('SET')) {
    p.alias();
    if (!p.keyword('SET')) return false;
  }
  if (p.peek()?.text === '(') {
    p.group();
  } else if (!p.identifier()) {
    return false;
  }
  return p.punct('=');
}

function matchDelete(p: Parser, strong: boolean, hinted: boolean): boolean {
  p.keyword('LOW_PRIORITY', 'QUICK', 'IGNORE');
  if (!p.keyword('FROM')) return false;
  p.keyword('ONLY');
  if (strong || hinted) return p.identifier();
  return tableList(p);
}

const DDL_OBJECTS = ['TABLE', 'INDEX', 'VIEW', 'SEQUENCE', 'SCHEMA', 'DATABASE', 'TRIGGER'];

function matchCreate(p: Parser, strong: boolean, hinted: boolean): boolean {
  if (p.keyword('OR') && !p.keyword('REPLACE')) return false;
  p.keyword('UNIQUE');
  p.keyword('TEMP', 'TEMPORARY');
  p.keyword('VIRTUAL', 'MATERIALIZED');
  const object = p.keyword(...DDL_OBJECTS);
  if (!object) return false;
  if (p.keyword('IF')) {
    if (!p.keyword('NOT') || !p.keyword('EXISTS')) return false;
  }
  if (!p.identifier()) return false;
  if (strong || hinted) return true;
  const next = p.peek();
  if (!next) return false;
  if (next.text === '(') return true;
  return next.kind === 'word' && ['ON', 'AS'].includes(next.upper);
}

function matchAlter(p: Parser): boolean {
  if (!p.keyword('TABLE')) return false;
  if (p.keyword('IF') && !p.keyword('EXISTS')) return false;
  p.keyword('ONLY');
  if (!p.identifier()) return false;
  return p.keyword('ADD', 'DROP', 'ALTER', 'RENAME', 'MODIFY', 'CHANGE', 'SET', 'OWNER', 'ENGINE') !== undefined;
}

function matchDrop(p: Parser, strong: boolean, hinted: boolean): boolean {
  if (!p.keyword(...DDL_OBJECTS)) return false;
  if (p.keyword('IF') && !p.keyword('EXISTS')) return false;
  if (!p.identifier()) return false;
  while (p.punct(',')) {
    if (!p.identifier()) return false;
  }
  if (strong || hinted) return true;
  p.keyword('CASCADE', 'RESTRICT');
  return p.atEnd() || p.punct(';');
}

function matchTruncate(p: Parser, strong: boolean, hinted: boolean): boolean {
  const table = p.keyword('TABLE');
  if (!p.identifier()) return false;
  if (strong || hinted) return true;
  return table !== undefined && (p.atEnd() || p.punct(';'));
}

function matchWith(p: Parser): boolean {
  p.keyword('RECURSIVE');
  if (!p.identifier()) return false;
  if (p.peek()?.text === '(') p.group();
  if (!p.keyword('AS')) return false;
  if (p.keyword('NOT') && !p.keyword('MATERIALIZED')) return false;
  p.keyword('MATERIALIZED');
  if (!p.punct('(')) return false;
  return p.keyword('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'VALUES', 'WITH') !== undefined;
}

function isUpperWord(word: string): boolean {
  return word === word.toUpperCase() && word !== word.toLowerCase();
}

/** An English function word as a bare word (not `x.the`, not inside quotes) marks prose. */
function hasProseWords(tokens: Token[]): boolean {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'word' || !PROSE_WORDS.has(t.text.toLowerCase())) continue;
    if (tokens[k - 1]?.text === '.' || tokens[k + 1]?.text === '.') continue;
    return true;
  }
  return false;
}

/** Something prose does not have: operators, placeholders, `*`, quotes, snake_case or dotted names. */
function hasSqlEvidence(tokens: Token[]): boolean {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    switch (t.kind) {
      case 'param':
      case 'qident':
      case 'string':
        return true;
      case 'punct':
        if (SQL_PUNCT.has(t.text)) return true;
        if (t.text === '.' && tokens[k - 1]?.kind === 'word' && tokens[k + 1]?.kind === 'word') return true;
        break;
      case 'word':
        if (/^[A-Za-z0-9]+_[A-Za-z0-9_]*$/.test(t.text) || /^_/.test(t.text)) return true;
        break;
    }
  }
  return false;
}

function endsLikeSentence(text: string): boolean {
  return /[A-Za-z][.!:]\s*$/.test(text);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: TokenKind, s: string) => tokens.push({ kind, text: s, upper: kind === 'word' ? s.toUpperCase() : s });
  while (i < n && tokens.length < MAX_TOKENS) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === SUBSTITUTION) {
      push('param', c);
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < n) {
        if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      push('string', text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      const j = text.indexOf(close, i + 1);
      const body = j < 0 ? '' : text.slice(i + 1, j);
      // A quoted identifier is one name; anything longer or with spaces is quoted prose.
      if (j > i + 1 && /^[\w$.\u0080-\uffff-]+$/.test(body)) {
        push('qident', text.slice(i, j + 1));
        i = j + 1;
      } else {
        push('punct', c);
        i++;
      }
      continue;
    }
    const param = /^(?:\?|:[A-Za-z_]\w*|%\([A-Za-z_]\w*\)s|%s|\$\d+|\$[A-Za-z_]\w*|@[A-Za-z_]\w*)/.exec(text.slice(i, i + 64));
    if (param && !(c === ':' && text[i + 1] === ':')) {
      push('param', param[0]);
      i += param[0].length;
      continue;
    }
    const word = /^[A-Za-z_\u00c0-\uffff][\w$\u00c0-\uffff]*/.exec(text.slice(i, i + 256));
    if (word) {
      push('word', word[0]);
      i += word[0].length;
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(text.slice(i, i + 64));
    if (number) {
      push('number', number[0]);
      i += number[0].length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['<=', '>=', '<>', '!=', '||', '::'].includes(two)) {
      push('punct', two);
      i += 2;
      continue;
    }
    push('punct', c);
    i++;
  }
  return tokens;
}
