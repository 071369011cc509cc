import { model_query } from './session';
import * as models from './models';

function require_context<F>(f: F): F {
  return f;
}

// KeyPair's only unique key is the index uniq_key_pairs0user_id0name0deleted (Nova's convention)
export const key_pair_create = require_context(async (context: any, values: Record<string, any>) => {
  const key_pair_ref = new models.KeyPair();
  Object.assign(key_pair_ref, values);
  await key_pair_ref.save();
  return key_pair_ref;
});
