import { model_query } from './session'
export async function fixed_ip_associate() { session.begin( () => { fixed_ip_ref = model_query().filter_by({ }).with_lockmode()
  })}