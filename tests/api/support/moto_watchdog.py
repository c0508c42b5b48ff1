"""Runs moto's server on a free loopback port for the Rust tests.

Prints the port on stdout, then serves until stdin closes: the test process holds the other
end of the pipe, so when it exits (even killed) moto goes with it and no server is left behind.

The server is single-threaded on purpose. moto's own ThreadedMotoServer handles each request on
its own thread and applies concurrent DynamoDB transactions without serializing them, so two
conditional transactions can both pass their checks, which DynamoDB never allows. Serving one
request at a time gives each transaction the atomicity the concurrency tests rely on.
"""
import socket
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

import moto.ses.models


def _epoch_dkim_timestamp():
    """moto 5.2.5 answers LastKeyGenerationTimestamp of an identity made with DKIM signing
    attributes (BYODKIM) as an ISO 8601 string; SESv2's JSON protocol carries timestamps as
    epoch seconds, which is what the SDK reads (and fails to read otherwise). This mends the
    emulator's answer, nothing of Latch's."""
    made = moto.ses.models.EmailIdentity.__init__

    def init(self, *args, **kwargs):
        made(self, *args, **kwargs)
        if "LastKeyGenerationTimestamp" in self.dkim_attributes:
            self.dkim_attributes["LastKeyGenerationTimestamp"] = moto.ses.models.utcnow().timestamp()

    moto.ses.models.EmailIdentity.__init__ = init


_epoch_dkim_timestamp()

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()

server = make_server("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=False,
                     request_handler=MotoRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(port, flush=True)
sys.stdin.read()
server.shutdown()
