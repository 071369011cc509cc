import { structuredPatch } from 'diff';
import type { ChalkInstance } from 'chalk';

/**
 * A unified diff of two texts with git-style headers. Coloured when a chalk instance with
 * colours is passed (the CLI decides: TTY, NO_COLOR, FORCE_COLOR).
 */
export function renderDiff(oldName: string, newName: string, before: string, after: string, color?: ChalkInstance): string {
  const patch = structuredPatch(oldName, newName, before, after, '', '', { context: 3 });
  if (patch.hunks.length === 0) return '';
  const c = color;
  const lines: string[] = [];
  const header = (s: string) => (c ? c.bold(s) : s);
  lines.push(header(`--- ${oldName}`), header(`+++ ${newName}`));
  for (const h of patch.hunks) {
    const at = `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
    lines.push(c ? c.cyan(at) : at);
    for (const l of h.lines) {
      if (l.startsWith('\\')) lines.push(l);
      else if (l[0] === '+') lines.push(c ? c.green(l) : l);
      else if (l[0] === '-') lines.push(c ? c.red(l) : l);
      else lines.push(l);
    }
  }
  return lines.join('\n') + '\n';
}
