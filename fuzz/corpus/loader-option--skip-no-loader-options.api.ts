export async function http_options(client: any) {
  return await client.options('/instances');
}

export async function instance_get(session: any, id: number) {
  return await session.query(Instance).filter_by({ id }).first();
}

declare const Instance: any;
