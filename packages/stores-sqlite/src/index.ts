export { sqlite, type SqliteStore, type SqliteStoreOptions } from './sqlite.js'
export { SCHEMA_VERSION, USAGE_SCHEMA_VERSION } from './schema.js'
