// The Manila sample's models on the reference, through oslo.db's EngineFacade and model_query as
// Manila's api.ts uses them:
// a share created with metadata, read, filtered by metadata (any → EXISTS), updated, soft-deleted,
// and a driver private data row created twice (its primary key refuses the second).
import { EngineFacade } from 'oslo.db/sqlalchemy/session';
import { model_query } from 'oslo.db/sqlalchemy/utils';
import * as models from '../../../fixtures/manila/manila/db/sqlalchemy/models';

async function outcome(call: () => any) {
  try {
    return { ok: await call() };
  } catch (e) {
    return { error: (e as Error).constructor.name, columns: (e as any).columns };
  }
}

export default async function () {
  const facade = EngineFacade.from_config({ database: { connection: 'mysql://manila' } });
  const session = facade.get_session();
  const share = () => model_query({ model: models.Share, session, deleted: false }).filter_by({ id: 's1' });
  const metadata = (s: any) => s.share_metadata.map((m: any) => [m.key, m.value]);
  return [
    await outcome(() =>
      session.begin(async () => {
        const ref = new models.Share();
        ref.update({ id: 's1', size: 1, project_id: 'p1', share_metadata: [Object.assign(new models.ShareMetadata(), { key: 'tier', value: 'gold' })] });
        session.add(ref);
        return ref.id;
      }),
    ),
    await outcome(() => metadata(share().one())),
    await outcome(() => model_query({ model: models.Share, session }).filter(models.Share.share_metadata.any({ key: 'tier', value: 'gold' })).count()),
    await outcome(() => model_query({ model: models.Share, session }).filter(models.Share.share_metadata.any({ key: 'tier', value: 'silver' })).count()),
    await outcome(() => session.begin(async () => share().update({ size: 2 }))),
    await outcome(() => share().one().size),
    await outcome(() => session.begin(async () => share().one().soft_delete(session))),
    await outcome(() => share().count()),
    await outcome(() => model_query({ model: models.Share, session, deleted: true }).count()),
    await outcome(() => Object.assign(new models.DriverPrivateData(), { entity_uuid: 'e1', key: 'k', value: 'v' }).save(facade.get_session())),
    await outcome(() => Object.assign(new models.DriverPrivateData(), { entity_uuid: 'e1', key: 'k', value: 'w' }).save(facade.get_session())),
  ];
}
