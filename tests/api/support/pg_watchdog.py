"""Runs a throw-away PostgreSQL server for the Rust tests.

Makes a cluster in a temporary folder (as the `postgres` user when run as root: initdb refuses
root), starts `postgres` on a free loopback port with password (SCRAM) authentication for every
connection, prints the port and the admin password on stdout, then serves until stdin closes.
The test process holds the other end of the pipe, so when it exits (even killed) the server and
its folder go with it; the server also dies with this watchdog (PR_SET_PDEATHSIG).
"""
import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def bindir():
    explicit = os.environ.get("LATCH_PG_BINDIR")
    if explicit:
        return explicit
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    sys.exit("no PostgreSQL: install Debian's postgresql package (scripts/test.sh does)")


def demote_to(user):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)

    def demote():
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the watchdog
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    return demote


def main():
    bins = bindir()
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    root = tempfile.mkdtemp(prefix="latch-pg-")
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    data = os.path.join(root, "data")
    password = secrets.token_urlsafe(24)
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if user is not None:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    demote = demote_to(user)
    subprocess.run(
        [os.path.join(bins, "initdb"), "-D", data, "-U", "latch_admin", "--pwfile", pwfile,
         "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=demote,
    )
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    log = open(os.path.join(root, "log"), "w")
    server = subprocess.Popen(
        [os.path.join(bins, "postgres"), "-D", data, "-p", str(port), "-k", root,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
        stdout=log, stderr=log, preexec_fn=demote,
    )
    deadline = time.time() + 30
    while True:
        # Accepting TCP is not ready: the server refuses logins while it starts up.
        ready = subprocess.run(
            [os.path.join(bins, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if ready.returncode == 0:
            break
        else:
            if time.time() > deadline or server.poll() is not None:
                sys.exit("postgres did not start; see its log: " + open(os.path.join(root, "log")).read())
            time.sleep(0.05)
    print(port, password, flush=True)
    sys.stdin.read()
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(root, ignore_errors=True)


main()
