"""Checks a Latch PHC string with argon2-cffi (the reference C implementation).
stdin: {"hash", "password", "wrong"}; stdout: {"right": bool, "wrong": bool, "type", "memory_cost", "time_cost", "parallelism"}."""
import json, sys
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import VerifyMismatchError

req = json.load(sys.stdin)
ph = PasswordHasher()
def ok(pw):
    try:
        return ph.verify(req["hash"], pw)
    except VerifyMismatchError:
        return False
p = extract_parameters(req["hash"])
print(json.dumps({"right": ok(req["password"]), "wrong": ok(req["wrong"]), "type": p.type.name,
                  "memory_cost": p.memory_cost, "time_cost": p.time_cost, "parallelism": p.parallelism}))
