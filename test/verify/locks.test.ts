import { writeFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { port } from '../../src/port/run.js';
import { renderSummary } from '../../src/report/summary.js';
import { checkLocks, type LockFinding } from '../../src/verify/locks.js';
import { GLANCE, glanceTree, read } from '../safety/helpers.js';

/** The helpers as create-lock and row-lock generate them: never findings themselves. */
const HELPERS = `
async function acquire_lock(name: string): Promise<void> {
  for (let attempt = 0; attempt <= 20; attempt++) {
    if (await cluster_lock.lock(name, 100)) return;
  }
  throw new DBDeadlock(\`lock \${name} not acquired after 20 retries\`);
}

async function release_lock(name: string): Promise<void> {
  await cluster_lock.unlock(name);
}
`;

/** The findings of a module (the helpers above it), each function its own report entry. */
function findings(body: string, entries?: string[]): Record<string, LockFinding[]> {
  const text = HELPERS + body;
  const names = entries ?? [...text.matchAll(/(?:function|const) (\w+)/g)].map((m) => m[1]);
  const check = checkLocks(text, names);
  const out: Record<string, LockFinding[]> = Object.fromEntries(check.functions);
  if (check.module.length > 0) out['(module)'] = check.module;
  return out;
}

/** The 1-based line of the first line of `text` (the helpers above it) that contains `needle`. */
function lineOf(body: string, needle: string): number {
  const index = (HELPERS + body).split('\n').findIndex((l) => l.includes(needle));
  expect(index, needle).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('lock paths: a lock released on every way out', () => {
  it('a try/finally right after the acquire covers returns and errors', () => {
    const body = `
export async function service_create(context: any, values: any) {
  const lock_name = \`services:create:\${values.host}\`;
  await acquire_lock(lock_name);
  try {
    if (!values.host) return null;
    return await service_create_(context, values);
  } finally {
    await release_lock(lock_name);
  }
}

async function service_create_(context: any, values: any) {
  const ref = new models.Service();
  await ref.save();
  return ref;
}
`;
    expect(findings(body)).toEqual({});
  });

  it('an early return between the acquire and the try leaves the lock held', () => {
    const body = `
export async function fixed_ip_associate(context: any, address: string) {
  const lock_name = \`fixed_ips:\${address}\`;
  await acquire_lock(lock_name);
  if (!address) return null;
  try {
    return await work(context, address);
  } finally {
    await release_lock(lock_name);
  }
}
`;
    const found = findings(body).fixed_ip_associate;
    expect(found).toEqual([
      {
        kind: 'unreleased',
        outputLine: lineOf(body, 'await acquire_lock(lock_name)'),
        locks: ['fixed_ips:*'],
        detail: `\`fixed_ips:*\` is still held on a way out of the function: the return at line ${lineOf(body, 'return null')}; release it in a \`finally\` of a \`try\` that starts right after the acquire`,
      },
    ]);
  });

  it('a release at the end, not in a finally, misses the errors and throws before it', () => {
    const body = `
export async function quota_reserve(context: any, project_id: string) {
  const lock_name = \`quota_usages:\${project_id}\`;
  await acquire_lock(lock_name);
  const usages = await load(context, project_id);
  if (usages.length === 0) throw new Error('no usages');
  await release_lock(lock_name);
  return usages;
}
`;
    const [finding] = findings(body).quota_reserve;
    expect(finding.kind).toBe('unreleased');
    expect(finding.detail).toContain(`an error at line ${lineOf(body, 'await load(')}, the throw at line ${lineOf(body, "throw new Error('no usages')")}`);
    // the acquire's own error is no way out with the lock: it was not taken
    expect(finding.detail).not.toContain(`line ${lineOf(body, 'await acquire_lock')}`);
  });

  it('a catch that releases and rethrows, and a release after the try, cover every path', () => {
    const body = `
export async function f(x: string) {
  await acquire_lock(\`t:\${x}\`);
  try {
    await work(x);
  } catch (e) {
    await release_lock(\`t:\${x}\`);
    throw e;
  }
  await release_lock(\`t:\${x}\`);
}
`;
    expect(findings(body)).toEqual({});
  });

  it('a lock taken in a loop and released only on one branch is reported at its acquire', () => {
    const body = `
export async function g(names: string[]) {
  for (const name of names) {
    await acquire_lock(\`rows:\${name}\`);
    if (name === 'skip') continue;
    try {
      await work(name);
    } finally {
      await release_lock(\`rows:\${name}\`);
    }
  }
}
`;
    const [finding] = findings(body).g;
    expect(finding).toMatchObject({ kind: 'unreleased', outputLine: lineOf(body, 'await acquire_lock'), locks: ['rows:*'] });
    expect(finding.detail).toContain('the end of the function');
    // released in every iteration: clean
    expect(findings(body.replace("if (name === 'skip') continue;", ''))).toEqual({});
  });

  it('a switch case that returns before the release', () => {
    const body = `
export async function h(kind: string) {
  const lock_name = 'kinds:create';
  await acquire_lock(lock_name);
  switch (kind) {
    case 'a':
      return 1;
    default:
      break;
  }
  await release_lock(lock_name);
  return 0;
}
`;
    const [finding] = findings(body).h;
    expect(finding.locks).toEqual(['kinds:create']);
    expect(finding.detail).toContain(`the return at line ${lineOf(body, 'return 1')}`);
  });

  it('a lock a callback takes is the callback’s to release; the finding goes to the top-level function', () => {
    const body = `
export const k = guard(async (context: any) => {
  const session = get_session();
  return await session.begin(async () => {
    await acquire_lock('k:create');
    return await work(context);
  });
});
`;
    expect(findings(body).k).toMatchObject([{ kind: 'unreleased', locks: ['k:create'] }]);
  });
});

describe('lock paths: lock order', () => {
  it('two locks nested in both orders, in two functions, name each other', () => {
    const body = `
export async function first(a: string, b: string) {
  await acquire_lock(\`instances:\${a}\`);
  try {
    await acquire_lock(\`fixed_ips:\${b}\`);
    try {
      await work();
    } finally {
      await release_lock(\`fixed_ips:\${b}\`);
    }
  } finally {
    await release_lock(\`instances:\${a}\`);
  }
}

export async function second(a: string, b: string) {
  const ip = 'fixed_ips:' + b;
  await acquire_lock(ip);
  try {
    await acquire_lock(\`instances:\${a}\`); // nested in second
    try {
      await work();
    } finally {
      await release_lock(\`instances:\${a}\`);
    }
  } finally {
    await release_lock(ip);
  }
}
`;
    const found = findings(body);
    const inFirst = lineOf(body, 'await acquire_lock(`fixed_ips:');
    const inSecond = lineOf(body, '// nested in second');
    expect(found.first).toEqual([
      {
        kind: 'lock-order',
        outputLine: inFirst,
        locks: ['instances:*', 'fixed_ips:*'],
        detail: `takes \`fixed_ips:*\` while holding \`instances:*\`; second takes them in the other order at line ${inSecond}: a potential deadlock`,
        other: { function: 'second', outputLine: inSecond },
      },
    ]);
    expect(found.second).toMatchObject([{ kind: 'lock-order', locks: ['fixed_ips:*', 'instances:*'], other: { function: 'first', outputLine: inFirst } }]);
  });

  it('one order taken through a call of a locking function counts too; one order alone is no finding', () => {
    const body = `
export async function outer(a: string) {
  await acquire_lock(\`shares:\${a}\`);
  try {
    await inner(a);
  } finally {
    await release_lock(\`shares:\${a}\`);
  }
}

async function inner(a: string) {
  await acquire_lock(\`instances:\${a}\`);
  try {
    await work();
  } finally {
    await release_lock(\`instances:\${a}\`);
  }
}
`;
    expect(findings(body).outer?.map((f) => f.kind)).toEqual(['held-across-call']);
    const reversed = `${body}
export async function back(a: string) {
  await acquire_lock(\`instances:\${a}\`);
  try {
    await acquire_lock(\`shares:\${a}\`);
    await release_lock(\`shares:\${a}\`);
  } finally {
    await release_lock(\`instances:\${a}\`);
  }
}
`;
    const found = findings(reversed);
    expect(found.outer.map((f) => f.kind)).toEqual(['held-across-call', 'lock-order']);
    expect(found.outer[1].detail).toContain('takes `instances:*` (through inner)');
    expect(found.back).toMatchObject([{ kind: 'lock-order', other: { function: 'outer', outputLine: lineOf(body, 'await inner(a)') } }]);
  });
});

describe('lock paths: a lock held across a call of another locking function', () => {
  const body = `
export async function share_create(context: any, values: any) {
  const lock_name = \`shares:create:\${values.id}\`;
  await acquire_lock(lock_name);
  try {
    return await share_create_(context, values);
  } finally {
    await release_lock(lock_name);
  }
}

const share_create_ = async (context: any, values: any) => {
  const session = get_session();
  return await session.begin(async () => {
    await _instance_create(context, values, session);
  });
};

async function _instance_create(context: any, values: any, session: any) {
  const lock_name = \`share_instances:create\`;
  await acquire_lock(lock_name);
  try {
    return await save(values, session);
  } finally {
    await release_lock(lock_name);
  }
}
`;

  it('names the call, the locks held and those the callee takes, through which functions', () => {
    expect(findings(body, ['share_create', '_instance_create'])).toEqual({
      share_create: [
        {
          kind: 'held-across-call',
          outputLine: lineOf(body, 'return await share_create_('),
          locks: ['shares:create:*'],
          detail: 'holds `shares:create:*` across the call of share_create_, which takes `share_instances:create` (through _instance_create)',
          callee: 'share_create_',
          takes: ['share_instances:create'],
        },
      ],
    });
  });

  it('a lock held in a callback the call runs (session.begin) is held across the calls inside it; the body `<name>_` belongs to `<name>`', () => {
    const direct = body.replace('return await share_create_(context, values);', 'return await share_create_(context, values, lock_name);').replace(
      '  return await session.begin(async () => {\n    await _instance_create(context, values, session);\n  });',
      '  const lock_name = `shares:${values.id}`;\n  await acquire_lock(lock_name);\n  try {\n    return await session.begin(async () => {\n      await _instance_create(context, values, session);\n    });\n  } finally {\n    await release_lock(lock_name);\n  }',
    );
    const found = findings(direct, ['share_create', '_instance_create']).share_create;
    expect(found.map((f) => [f.kind, f.function, f.callee])).toEqual([
      ['held-across-call', undefined, 'share_create_'],
      ['held-across-call', 'share_create_', '_instance_create'],
    ]);
  });

  it('the same lock taken again through a call is said to be re-entrant', () => {
    const again = body.replace('const lock_name = `share_instances:create`;', 'const lock_name = `shares:create:${values.id}`;');
    const [finding] = findings(again).share_create;
    expect(finding.takes).toEqual(['shares:create:*']);
    expect(finding.detail).toContain('the same lock again');
  });
});

describe('port: the lock paths of the port as written, in its report', () => {
  it('a hand edit that moves a release out of its finally gets an `unreleased` finding on its function, in both reports and the count', () => {
    const dir = glanceTree();
    const first = port({ roots: [dir] }).modules[0].report;
    // the sample's own nested create (image_create → image_property_create), and nothing else
    expect(first.summary.lockFindings).toBe(1);
    expect(first.functions.find((f) => f.name === 'image_member_create')?.locks).toBeUndefined();
    const api = GLANCE.disc(dir, 'api.ts');
    const text = read(api);
    const wrapper = 'try {\n    return await image_member_create_(context, values);\n  } finally {\n    await release_lock(lock_name);\n  }';
    expect(text).toContain(wrapper);
    writeFileSync(api, text.replace(wrapper, 'const member = await image_member_create_(context, values);\n  await release_lock(lock_name);\n  return member;'));

    const m = port({ roots: [dir] }).modules[0];
    expect(m.merge.status).toBe('kept');
    const edited = read(api).split('\n');
    const acquire = edited.findIndex((l, i) => l.includes('await acquire_lock(lock_name)') && edited[i - 1].includes('image_members:create')) + 1;
    const call = edited.findIndex((l) => l.includes('const member = await image_member_create_(')) + 1;
    const json = JSON.parse(read(GLANCE.disc(dir, 'port-report.json')));
    expect(json.summary.lockFindings).toBe(2);
    expect(json.functions.find((f: { name: string }) => f.name === 'image_member_create').locks).toEqual([
      {
        kind: 'unreleased',
        outputLine: acquire,
        locks: ['image_members:create:*:*:*'],
        detail: `\`image_members:create:*:*:*\` is still held on a way out of the function: an error at line ${call}; release it in a \`finally\` of a \`try\` that starts right after the acquire`,
      },
    ]);
    expect(read(GLANCE.disc(dir, 'PORT-REPORT.md'))).toContain(`| [${acquire}](api.ts#L${acquire}) | \`image_member_create\` | \`unreleased\` |`);
    expect(renderSummary({ ...port({ roots: [dir], dryRun: true }), written: true }, new Chalk({ level: 0 }))).toContain('lock paths: 2 findings (held-across-call 1, unreleased 1)');
  });

  it('--no-verify skips the check: no count, no findings', () => {
    const report = port({ roots: [glanceTree()], dryRun: true, verify: false }).modules[0].report;
    expect(report.summary.lockFindings).toBeUndefined();
    expect(report.functions.some((f) => f.locks)).toBe(false);
  });
});
