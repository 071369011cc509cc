import { get_session } from './session';

export async function service_destroy(service_id: number) {
  const session = get_session();
  return session.begin(async () => service_id);
}
