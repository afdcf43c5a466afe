// Preload (`node --import`) that forces every net.Server listen() onto 127.0.0.1.
// Portkey's gateway has no bind-address option and would otherwise listen on all interfaces.
import net from 'node:net'

const HOST = '127.0.0.1'
const listen = net.Server.prototype.listen

net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (first !== null && typeof first === 'object' && !('fd' in first) && !('path' in first) && !('_handle' in first)) {
    args[0] = { ...first, host: HOST }
    return listen.apply(this, args)
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]) → listen({ port, host, backlog }, callback)
    const options = { port: Number(first), host: HOST }
    let callback
    for (const arg of args.slice(1)) {
      if (typeof arg === 'function') callback = arg
      else if (typeof arg === 'number') options.backlog = arg
      // a string (or undefined) host is dropped: we bind loopback whatever was asked
    }
    return callback ? listen.call(this, options, callback) : listen.call(this, options)
  }
  return listen.apply(this, args)
}
