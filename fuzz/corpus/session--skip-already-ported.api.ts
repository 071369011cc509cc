import { RomeSession } from 'rome-orm';

// port-db: generated helper (session): ROME sessions replace the SQL session factory.
function get_session(_options?: unknown): RomeSession {
  return new RomeSession();
}

export async function service_destroy(service_id: number) {
  const session = get_session();
  return session.begin(async () => service_id);
}
