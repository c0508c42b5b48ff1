"""Runs moto's server on a free loopback port for the Rust tests.

Prints the port on stdout, then serves until stdin closes: the test process holds the other
end of the pipe, so when it exits (even killed) moto goes with it and no server is left behind.
"""
import socket
import sys

from moto.server import ThreadedMotoServer

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()

server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print(port, flush=True)
sys.stdin.read()
server.stop()
