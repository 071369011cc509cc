function migration_update() { session.begin(
    { subtransactions: true },
    { subtransactions: true }, get_session()
  )
}