export async function migration_update(session: any, id: number) {
  return session.begin(
    async () => id,
    { subtransactions: true },
  );
}

export async function security_group_destroy(session: any, id: number) {
  return session.begin(async () => id, { nested: true });
}
