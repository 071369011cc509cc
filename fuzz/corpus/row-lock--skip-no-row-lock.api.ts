export async function fixed_ip_get(session: any, address: string) {
  return await session.query(FixedIp).filter_by({ address }).first();
}

export function lock_screen(screen: { with_lockmode(mode: string): void }) {
  screen.with_lockmode('update');
}

declare const FixedIp: any;
