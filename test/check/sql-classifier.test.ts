import { describe, expect, it } from 'vitest';
import { classifySql, isSqlStatement } from '../../src/analyzer/sql-classifier.js';
import { SQL_NEGATIVES, SQL_POSITIVES } from './sql-cases.js';

describe('classifySql', () => {
  it.each(SQL_POSITIVES)('accepts %j as %s', (text, kind) => {
    expect(classifySql(text)).toEqual({ kind });
  });

  it.each(SQL_NEGATIVES.map((t) => [t]))('rejects %j', (text) => {
    expect(classifySql(text)).toBeNull();
  });

  it('accepts SELECT without FROM and bare lower-case statements only where SQL is expected', () => {
    expect(isSqlStatement('SELECT 1')).toBe(false);
    expect(isSqlStatement('SELECT 1', { hinted: true })).toBe(true);
    expect(isSqlStatement('select now()', { hinted: true })).toBe(true);
    expect(isSqlStatement('select id from instances', { hinted: false })).toBe(false);
    expect(isSqlStatement('select id from instances', { hinted: true })).toBe(true);
    expect(isSqlStatement('create table instances', { hinted: true })).toBe(true);
  });

  it('does not accept prose even where SQL is expected', () => {
    expect(isSqlStatement('select an option from the list', { hinted: true })).toBe(false);
    expect(isSqlStatement('update the form', { hinted: true })).toBe(false);
    expect(isSqlStatement('SELECT', { hinted: true })).toBe(false);
  });

  it('is case-insensitive for keywords', () => {
    for (const text of ['SELECT * FROM t', 'select * from t', 'sElEcT * fRoM t']) {
      expect(isSqlStatement(text)).toBe(true);
    }
  });

  it('copes with long and unterminated texts', () => {
    expect(isSqlStatement(`SELECT * FROM instances WHERE id IN (${'1, '.repeat(5000)}1)`)).toBe(true);
    expect(isSqlStatement("SELECT * FROM instances WHERE host = 'unterminated")).toBe(true);
    expect(isSqlStatement('select * from (')).toBe(false);
    expect(isSqlStatement('')).toBe(false);
  });
});
