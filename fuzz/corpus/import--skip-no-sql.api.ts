import { RomeSession, or_ } from 'rome-orm';
import { RequestContext } from '../../context';
import { readFileSync } from 'node:fs';

export function f(context: RequestContext) {
  return [new RomeSession(), or_, readFileSync, context];
}
