// serve.js runs dynalite's server the way its own cli.js does, but survives
// a client that hangs up in the middle of a request, as DynamoDB does.
// dynalite answers such a request's "aborted" error by throwing it, which
// ends the process, so one test that cancels a call midway would take the
// server away from every test after it.
//
// Run as: node -e "$(cat serve.js)" <dynalite module dir> --host H --port P [--name value]...
'use strict'

const [dir, ...args] = process.argv.slice(1)
const options = {}
for (let i = 0; i + 1 < args.length; i += 2) {
  const name = args[i].replace(/^--/, ''), value = args[i + 1]
  options[name] = /^\d+$/.test(value) ? Number(value) : value
}

process.on('uncaughtException', (err) => {
  if (err && err.code === 'ECONNRESET' && err.message === 'aborted') {
    return // a client closed its connection before its request ended
  }
  console.error(err)
  process.exit(1)
})

const server = require(dir)(options).listen(options.port, options.host, () => {
  console.log('Dynalite listening at: http://%s:%s', options.host, server.address().port)
})
