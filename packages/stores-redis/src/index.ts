export { redis, type RedisStore, type RedisStoreOptions } from './redis.js'
