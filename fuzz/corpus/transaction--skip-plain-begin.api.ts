export async function migration_update(session: any, id: number) {
  return session.begin(async () => id);
}

export async function not_a_session(tx: any) {
  return tx.begin({ subtransactions: true });
}
