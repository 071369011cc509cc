import db_default from './api';
import * as models from './models';

// the factory through a default import of the package's module (its namespace object): the call
// loses the import's name, as through a namespace import, and the helper is emitted here
export async function service_get_all(context: any) {
  const session = db_default.get_session();
  return await session.query(models.Service).all();
}
