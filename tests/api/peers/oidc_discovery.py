"""Verifies a Latch access token as an OIDC-aware resource server does, from the issuer alone:
OIDC discovery (`{issuer}/.well-known/openid-configuration`), then PyJWT's PyJWKClient on the
`jwks_uri` it names. stdin: {"issuer", "token", "audience"}; stdout: {"metadata", "claims"};
exit 1 on refusal."""
import json, sys, urllib.request
import jwt

req = json.load(sys.stdin)
issuer = req["issuer"]
with urllib.request.urlopen(issuer.rstrip("/") + "/.well-known/openid-configuration") as r:
    metadata = json.load(r)
if metadata.get("issuer") != issuer:
    print(f"refused: discovery names issuer {metadata.get('issuer')!r}, not {issuer!r}", file=sys.stderr)
    sys.exit(1)
try:
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(req["token"])
    claims = jwt.decode(req["token"], key.key, algorithms=metadata["id_token_signing_alg_values_supported"],
                        audience=req["audience"], issuer=metadata["issuer"],
                        options={"require": ["exp", "nbf", "iat", "iss", "aud", "sub"]})
except jwt.PyJWTError as e:
    print(f"refused: {e}", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"metadata": metadata, "claims": claims}))
