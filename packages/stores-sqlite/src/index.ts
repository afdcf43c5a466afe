export { sqlite, type SqliteStore, type SqliteStoreOptions } from './sqlite.js'
export { SCHEMA_VERSION } from './schema.js'
