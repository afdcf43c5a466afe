export { findConfigFile, loadConfig, CONFIG_FILES } from './load-config.js'
export { serveConfig, type RunningServer, type ServeOptions } from './serve.js'
export { check, dev, start, type CommandOptions } from './commands.js'
