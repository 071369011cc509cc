export async function service_get(session: any, service_id: number) {
  return await session.query(Service).filter_by({ id: service_id }).order_by(Service.id).first();
}

export async function service_count(session: any) {
  return await session.query(Service).filter(Service.disabled.eq(false)).count();
}

declare const Service: any;
