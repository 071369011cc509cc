import type { CheckRuleId } from './check-types.js';

/** What a check rule is about; the SARIF renderer and `port-db rules` print it. */
export interface CheckRuleMeta {
  id: CheckRuleId;
  /** Sentence case, a few words, no period. */
  title: string;
  /** Full sentences: what the rule finds and why it matters on ROME. */
  description: string;
  /** What to do about a finding. */
  help: string;
  /** SARIF level and GitHub severity. */
  level: 'error' | 'warning' | 'note';
  /** A line the rule reports. */
  example: string;
}

/** Every rule `port-db check` can report, in report order. */
export const CHECK_RULES: readonly CheckRuleMeta[] = [
  {
    id: 'sql-import',
    title: 'Import of an SQL library',
    description:
      'An import of an SQL library (a rule pack `sqlModules` specifier such as `sqlalchemy` or `oslo.db/...`), ' +
      'or, from a `db/discovery` module, of a `db/sqlalchemy` module. ROME has no SQL engine, so the ported ' +
      'module must not depend on one.',
    help: 'Import the ROME equivalent from the target module, or mark the import `// port-db: manual <reason>` if manual code still needs it.',
    level: 'error',
    example: "import { or_, func } from 'sqlalchemy';",
  },
  {
    id: 'sql-session',
    title: 'SQL session factory call',
    description:
      'A call of a session factory (`get_session()`, `getSession()`) or engine factory (`create_engine`, ' +
      '`EngineFacade`, ...) that resolves to SQL: imported from an SQL library or a `db/sqlalchemy` module, or ' +
      'defined or left unresolved in a module that imports SQL. A factory the module defines to return a ' +
      '`RomeSession`, or imports from the target module, is not reported.',
    help: 'Open a `RomeSession` instead (`port-db port` re-emits a local `get_session` that returns one).',
    level: 'error',
    example: 'const session = get_session();',
  },
  {
    id: 'raw-sql',
    title: 'Raw SQL statement in a string',
    description:
      'A string literal, template literal or tagged template whose text is an SQL statement (SELECT ... FROM, ' +
      'INSERT INTO, UPDATE ... SET, DELETE FROM, CREATE/ALTER/DROP TABLE, WITH ... AS (...)). A key/value store ' +
      'cannot run SQL text. Prose that merely starts with an SQL keyword is not reported.',
    help: 'Rewrite the statement as a ROME query, or mark it `// port-db: manual <reason>` for a human.',
    level: 'error',
    example: "session.execute(text('SELECT * FROM instances WHERE id = :id'), { id });",
  },
  {
    id: 'row-lock',
    title: 'SQL row lock',
    description:
      'A row-lock call (`with_lockmode(...)`, `with_for_update()`): `SELECT ... FOR UPDATE` does not exist on a ' +
      'key/value store, so the read-modify-write it protected is not protected on ROME.',
    help: 'Remove the row lock and wrap the unit of work in a DLM lock named after the table and key (`port-db port` does this).',
    level: 'error',
    example: "model_query(context, models.FixedIp).filter_by({ address }).with_lockmode('update').first();",
  },
  {
    id: 'rome-unsupported',
    title: 'Construct ROME lacks or ignores',
    description:
      'In a discovery module only: a call of a query or session method the target lacks or silently ignores ' +
      '(the rule pack\'s `target.lacks`: `limit`, `offset`, `one`, `exists`, `options`, `group_by`, `subquery`, ' +
      '`execute`, `rollback`, `begin_nested`, ...), `in_()` given a query (an SQL subquery), `query.session`, and mapper ' +
      'introspection (`__mapper__`, `.property.columns`). `port-db port` rewrites or marks what it sees; one it could ' +
      'not see (a query held in a variable, a hand edit) would run on ROME without its SQL meaning.',
    help: 'Rewrite it for ROME (slice the rows of all(), pass the values of a query to in_(), ...), or mark it `// port-db: manual <reason>`.',
    level: 'error',
    example: 'return await query.limit(limit).all();',
  },
  {
    id: 'manual-marker',
    title: 'Unresolved manual marker',
    description:
      'A `// port-db: manual <reason>` comment: code `port-db port` could not port safely and kept verbatim. ' +
      'Leftover SQL inside the statement it marks is folded into this one finding.',
    help: 'Port the marked statement by hand, then delete the marker.',
    // an error like leftover SQL: the statement it marks is not ported, and the check fails on it
    level: 'error',
    example: '// port-db: manual raw SQL (text(...)) has no ROME equivalent',
  },
  {
    id: 'unused-suppression',
    title: 'Suppression that suppresses nothing',
    description:
      'A `// port-db-ignore-next-line <rule>` or `// port-db-ignore-file <rule>` comment that silenced no ' +
      'finding, or that names an unknown rule. Dead suppressions would hide the next real finding.',
    help: 'Delete the comment, or fix the rule id it names.',
    level: 'warning',
    example: '// port-db-ignore-next-line raw-sql',
  },
];

/** The rule ids, in report order. */
export const CHECK_RULE_IDS: readonly CheckRuleId[] = CHECK_RULES.map((r) => r.id);

/** Rule ids a suppression comment may name (a dead suppression cannot itself be suppressed). */
export const SUPPRESSIBLE_RULE_IDS: readonly CheckRuleId[] = CHECK_RULE_IDS.filter((id) => id !== 'unused-suppression');

/** Metadata of one rule. */
export function getCheckRule(id: CheckRuleId): CheckRuleMeta {
  const rule = CHECK_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`unknown check rule ${id}`);
  return rule;
}
