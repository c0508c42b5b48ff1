"""Verifies a Latch access token with PyJWT, using only the published JWKS.
stdin: {"token", "jwks", "issuer", "audience"}; stdout: the claims as JSON; exit 1 on refusal."""
import json, sys
import jwt

req = json.load(sys.stdin)
keys = jwt.PyJWKSet.from_dict(req["jwks"])
kid = jwt.get_unverified_header(req["token"])["kid"]
key = next(k for k in keys.keys if k.key_id == kid)
try:
    claims = jwt.decode(req["token"], key.key, algorithms=["ES256"], audience=req["audience"], issuer=req["issuer"],
                        options={"require": ["exp", "nbf", "iat", "iss", "aud", "sub"]})
except jwt.PyJWTError as e:
    print(f"refused: {e}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(claims))
