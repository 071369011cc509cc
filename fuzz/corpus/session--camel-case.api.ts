import { getSession } from './session';

export async function aggregateDelete(aggregateId: number) {
  const session = getSession();
  return session.begin(async () => aggregateId);
}
