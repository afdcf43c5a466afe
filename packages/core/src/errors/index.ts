export * from './mesh-error.js'
export * from './config-error.js'
export * from './gateway-error.js'
export * from './upstream-error.js'
