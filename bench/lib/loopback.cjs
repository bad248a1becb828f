// Preloaded into peer servers (node --require): a listen() given only a port binds 127.0.0.1,
// so the Community Solid Server (which has no bind-address option) never listens beyond loopback.
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
