export { postgres, type PostgresStore, type PostgresStoreOptions } from './postgres.js'
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js'
