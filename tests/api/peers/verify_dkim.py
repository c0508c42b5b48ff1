"""Signs a message with a mail domain's DKIM private key and verifies it with dkimpy against
the TXT record Latch published, served as DNS would serve it.

stdin: {"domain", "selector", "privateKey" (base64 PKCS#8 DER), "recordName", "record"}
stdout: {"verified": bool, "tampered": bool}
"""
import base64
import json
import sys
import textwrap

import dkim

req = json.load(sys.stdin)
der = base64.b64decode(req["privateKey"])
pem = (
    "-----BEGIN PRIVATE KEY-----\n"
    + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    + "\n-----END PRIVATE KEY-----\n"
).encode()
message = (
    f"From: shop <hello@{req['domain']}>\r\nTo: someone@example.org\r\n"
    "Subject: DKIM peer check\r\n\r\nSigned by Latch's key.\r\n"
).encode()
signature = dkim.sign(
    message,
    req["selector"].encode(),
    req["domain"].encode(),
    pem,
    include_headers=[b"from", b"to", b"subject"],
)


def dns(name, timeout=5):
    wanted = req["recordName"] + "."
    return req["record"].encode() if name.decode() == wanted else b""


verified = dkim.verify(signature + message, dnsfunc=dns)
tampered = dkim.verify(signature + message.replace(b"Signed", b"Forged"), dnsfunc=dns)
print(json.dumps({"verified": bool(verified), "tampered": bool(tampered)}))
