"""Parses a Latch .eml with Python's standard email package (strict modern policy).
stdin: the raw message; stdout: a JSON summary of its structure and headers."""
import email, email.policy, json, sys

raw = sys.stdin.buffer.read()
msg = email.message_from_bytes(raw, policy=email.policy.strict)
parts = [(p.get_content_type(), p.get_content()) for p in msg.iter_parts()] if msg.is_multipart() else []
print(json.dumps({
    "content_type": msg.get_content_type(),
    "to": str(msg["To"]), "to_addresses": [a.addr_spec for a in msg["To"].addresses], "from": str(msg["From"]), "subject": str(msg["Subject"]),
    "header_names": [k.lower() for k in msg.keys()],
    "defects": [str(d) for d in msg.defects],
    "parts": [{"type": t, "body": b} for t, b in parts],
}))
