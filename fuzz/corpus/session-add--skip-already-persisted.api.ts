export async function aggregate_update(session: any, id: number, values: Record<string, any>) {
  return session.begin(async () => {
    const ref = await session.query(Aggregate).filter_by({ id }).first();
    ref.update(values);
    session.add(ref);
    const other = await session.query(Aggregate).filter_by({ id: id + 1 }).first();
    other.update(values);
    await other.save(session);
    return [ref, other];
  });
}

export async function not_in_a_unit_of_work(id: number, values: Record<string, any>) {
  const ref = { id, update(_v: unknown) {} };
  ref.update(values);
  return ref;
}

declare const Aggregate: any;
