#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/serve.sh: README command 1. On a fresh Debian 12 / Ubuntu (as root):
# install the dependencies, build mod_batch if needed, and start Debian's
# apache2 from a private server root on 127.0.0.1 with mod_batch on /batch
# in front of the sample products API (tests/lua/products.lua, the same code
# the test suite runs) on /products. Safe to run again: it stops its own
# previous instance (by its pid file) first. Never touches /etc/apache2.
#
#   build/serve.sh          build if needed, (re)start, print a curl line
#   build/serve.sh stop     stop the server this script started
#
# Environment: BATCH_SERVE_PORT (8080), BATCH_SERVE_ROOT (/tmp/mod_batch-serve),
# BATCH_SERVE_SKIP_DEPS=1 (do not run build/deps.sh).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
PORT=${BATCH_SERVE_PORT:-8080}
ROOT=${BATCH_SERVE_ROOT:-/tmp/mod_batch-serve}
HTTPD=/usr/sbin/apache2
LIBEXECDIR=/usr/lib/apache2/modules
if command -v apxs >/dev/null 2>&1; then
    HTTPD="$(apxs -q SBINDIR)/$(apxs -q progname)"
    LIBEXECDIR=$(apxs -q LIBEXECDIR)
fi
CONF="$ROOT/conf/httpd.conf"
PIDFILE="$ROOT/run/httpd.pid"

say() { printf 'serve: %s\n' "$*"; }
die() { printf 'serve: %s\n' "$*" >&2; exit 1; }

stop_previous() {
    [ -f "$PIDFILE" ] || return 0
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -f "$CONF" ]; then
        say "stopping the previous instance (pid $pid)"
        "$HTTPD" -d "$ROOT" -f "$CONF" -k stop || true
        for _ in $(seq 1 100); do
            [ -f "$PIDFILE" ] || break
            sleep 0.1
        done
        [ ! -f "$PIDFILE" ] || die "the previous instance (pid $pid) did not stop"
    else
        rm -f "$PIDFILE"
    fi
}

if [ "${1:-}" = "stop" ]; then
    stop_previous
    exit 0
fi

# 1. dependencies ------------------------------------------------------------
if [ "${BATCH_SERVE_SKIP_DEPS:-}" != "1" ] && [ -f "$SRC/build/deps.sh" ]; then
    say "checking dependencies (build/deps.sh)"
    bash "$SRC/build/deps.sh"
fi
[ -x "$HTTPD" ] || die "no apache2 at $HTTPD (apt-get install apache2)"

# 2. build the module if it is missing or older than its sources --------------
MODULE="$SRC/.libs/mod_batch.so"
needs_build=0
if [ ! -f "$MODULE" ]; then
    needs_build=1
elif [ -n "$(find "$SRC" -maxdepth 2 \( -name '*.c' -o -name '*.h' -o -name configure.ac \
            -o -name Makefile.am \) -not -path '*/tests/*' -newer "$MODULE" -print -quit)" ]; then
    needs_build=1
fi
if [ "$needs_build" = 1 ] && [ "${BATCH_SERVE_NO_MODULE:-}" != "1" ]; then
    say "building mod_batch"
    (
        cd "$SRC"
        if [ -f configure.ac ]; then
            if [ ! -f Makefile ] || [ configure.ac -nt Makefile ] || [ Makefile.am -nt Makefile ]; then
                autoreconf -fi
                ./configure
            fi
            make
        else
            apxs -c -I include ./*.c
        fi
    )
    [ -f "$MODULE" ] || die "the build did not produce $MODULE"
fi

# 3. the server root ---------------------------------------------------------------
stop_previous
case "$ROOT" in
    /etc/apache2*|/) die "refusing to use $ROOT as the server root" ;;
esac
mkdir -p "$ROOT/conf" "$ROOT/logs" "$ROOT/run" "$ROOT/lua" "$ROOT/htdocs"
cp "$SRC/tests/lua/products.lua" "$SRC/tests/lua/json.lua" "$ROOT/lua/"
printf '{"hello":"world"}' > "$ROOT/htdocs/hello.json"
chmod -R a+rX "$ROOT"
chmod 755 "$ROOT"

USERGROUP=""
if [ "$(id -u)" = 0 ]; then
    USERGROUP=$'User www-data\nGroup www-data'
fi
LOADBATCH="LoadModule batch_module $MODULE"
if [ "${BATCH_SERVE_NO_MODULE:-}" = "1" ]; then
    LOADBATCH="# BATCH_SERVE_NO_MODULE=1: running without mod_batch"
fi

cat > "$CONF" <<EOF
# written by build/serve.sh: mod_batch demo server (private root $ROOT)
ServerRoot "$ROOT"
DefaultRuntimeDir "$ROOT/run"
PidFile "$PIDFILE"
Mutex file:$ROOT/run default
ErrorLog "$ROOT/logs/error.log"
ServerName 127.0.0.1:$PORT
Listen 127.0.0.1:$PORT
$USERGROUP

LoadModule mpm_event_module $LIBEXECDIR/mod_mpm_event.so
LoadModule authz_core_module $LIBEXECDIR/mod_authz_core.so
LoadModule mime_module $LIBEXECDIR/mod_mime.so
LoadModule request_module $LIBEXECDIR/mod_request.so
LoadModule lua_module $LIBEXECDIR/mod_lua.so
$LOADBATCH

StartServers 1
ServerLimit 4
ThreadLimit 32
ThreadsPerChild 16
MaxRequestWorkers 64
MinSpareThreads 16
MaxSpareThreads 64

LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b %{batch-items}n %{batch-failed}n" batch
CustomLog "$ROOT/logs/access.log" batch
TypesConfig /etc/mime.types

DocumentRoot "$ROOT/htdocs"
<Directory />
    Require all denied
</Directory>
<Directory "$ROOT/htdocs">
    Require all granted
</Directory>

# The sample products API (tests/lua/products.lua)
LuaMapHandler "^/products(/[^/]*)?\$" "$ROOT/lua/products.lua" handle

<IfModule batch_module>
    <Location "/batch">
        SetHandler batch
    </Location>
</IfModule>
EOF

STOPENV=""
if [ "$ROOT" != /tmp/mod_batch-serve ]; then
    STOPENV="BATCH_SERVE_ROOT=$ROOT "
fi

# 4. start and wait until it answers -----------------------------------------------
"$HTTPD" -t -d "$ROOT" -f "$CONF" >/dev/null 2>&1 || {
    "$HTTPD" -t -d "$ROOT" -f "$CONF" || true
    die "the configuration does not pass apache2 -t"
}
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is in use: set BATCH_SERVE_PORT to a free port"
fi
"$HTTPD" -d "$ROOT" -f "$CONF" -k start || die "apache2 did not start; see $ROOT/logs/error.log"

live=0
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        if command -v curl >/dev/null 2>&1; then
            curl -fsS -o /dev/null "http://127.0.0.1:$PORT/products/1" && { live=1; break; }
        else
            live=1; break
        fi
    fi
    sleep 0.1
done
[ "$live" = 1 ] || die "apache2 does not answer on 127.0.0.1:$PORT; see $ROOT/logs/error.log"

cat <<EOF

mod_batch is serving on http://127.0.0.1:$PORT/batch in front of the sample
products API on http://127.0.0.1:$PORT/products (server root $ROOT).

Try a batch (the CONTRACT §3 example: two GETs, then a POST that depends on item 2):

curl -s http://127.0.0.1:$PORT/batch -H 'Content-Type: application/json' -d '{"requests":[{"id":"1","method":"GET","url":"/products?skip=0&limit=1"},{"id":"2","method":"GET","url":"/products/1"},{"id":"3","method":"POST","url":"/products","headers":{"Content-Type":"application/json"},"body":{"title":"Test Product"},"dependsOn":["2"]}]}'

Stop it with:  ${STOPENV}$SRC/build/serve.sh stop
   (or: $HTTPD -d $ROOT -f $CONF -k stop)
Logs: $ROOT/logs/error.log, $ROOT/logs/access.log
EOF
