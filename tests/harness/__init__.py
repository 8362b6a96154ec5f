"""mod_batch test harness: a real Debian apache2 on loopback ports.

env.py    paths, ports, server root, start/stop/restart, config_test()
conf.py   BatchConf: per-class conf/test.conf builder
log.py    error-log watcher (per-test offsets, expected lines, crash markers)
client.py requests wrapper and raw-socket helper (X-Test-Name on every call)
backend.py the Python misbehaving-backend (ThreadingHTTPServer)
streaming.py timed raw batch requests: when each piece of a response arrived
multipart.py multipart batch builder and strict response parser (CONTRACT §8)
noserver.py no-op autouse fixtures for test files that start no server
interop.py npm ci of tests/interop/ for the Node clients (Graph SDK, @odata/client)
"""
