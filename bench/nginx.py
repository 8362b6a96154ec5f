"""The nginx + lua-nginx-module peer of the benchmark (imported by
bench.py): renders bench/nginx.conf.in into the bench's private root,
starts Debian's /usr/sbin/nginx on a free port with that config (never
/etc/nginx/nginx.conf, never the system instance) and stops it again.

Needs nginx, libnginx-mod-http-lua (with lua-resty-core) and lua-cjson;
available() says why not when one is missing, and the bench then leaves
the nginx rows out."""
import os
import shutil
import signal
import socket
import string
import subprocess
import time

NGINX = os.environ.get("BENCH_NGINX", "/usr/sbin/nginx")
MODULES = os.environ.get("BENCH_NGINX_MODULES", "/usr/share/nginx/modules")


def available():
    """None when the peer can run, else the reason."""
    if not os.access(NGINX, os.X_OK):
        return "no %s (apt-get install nginx)" % NGINX
    for m in ("ndk_http_module.so", "ngx_http_lua_module.so"):
        if not os.path.exists(os.path.join(MODULES, m)):
            return "no %s/%s (apt-get install libnginx-mod-http-lua)" % (MODULES, m)
    if not any(os.path.exists(os.path.join(d, "cjson.so")) for d in
               ("/usr/lib/x86_64-linux-gnu/lua/5.1", "/usr/lib/aarch64-linux-gnu/lua/5.1",
                "/usr/local/lib/lua/5.1", "/usr/lib/lua/5.1")):
        return "no cjson.so for Lua 5.1 (apt-get install lua-cjson)"
    return None


class Nginx:
    def __init__(self, bench, port, workers):
        self.b = bench
        self.port = port
        self.root = bench.root
        self.conf = os.path.join(self.root, "conf", "nginx.conf")
        self.pidfile = os.path.join(self.root, "run", "nginx.pid")
        self.proc = None
        here = os.path.dirname(os.path.abspath(__file__))
        shutil.copy(os.path.join(here, "lua", "nginx_batch.lua"),
                    os.path.join(self.root, "lua", "nginx_batch.lua"))
        os.chmod(os.path.join(self.root, "lua", "nginx_batch.lua"), 0o644)
        with open(os.path.join(here, "nginx.conf.in")) as f:
            tmpl = string.Template(f.read())
        user = "user www-data;" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write(tmpl.substitute(root=self.root, port=port, workers=workers,
                                    modules=MODULES, user=user))
        os.chmod(self.conf, 0o644)
        t = subprocess.run([NGINX, "-t", "-p", self.root, "-c", self.conf],
                           capture_output=True, text=True)
        if t.returncode != 0:
            raise SystemExit("nginx config test failed (%s):\n%s" % (self.conf, t.stderr))

    def start(self):
        self.proc = subprocess.Popen([NGINX, "-p", self.root, "-c", self.conf],
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("nginx exited with %s; see %s/logs/nginx-error.log"
                                 % (self.proc.returncode, self.root))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("nginx did not come up")

    def all_pids(self):
        return [self.proc.pid] + self.b.children_of(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
