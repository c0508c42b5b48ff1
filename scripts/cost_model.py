#!/usr/bin/env python3
"""The monthly AWS bill of one Latch deployment, from counted store calls and measured times.

Prints the markdown table that docs/BENCHMARKS.md holds between `cost-model:start` and
`cost-model:end` (tests/api/cost_model.rs fails when the two differ). Every input is a named
constant below, with where it comes from, so a reader can change one and redo the sum.
Prices: AWS's published on-demand prices for us-east-1 (arm64 Lambda, HTTP API, DynamoDB
on-demand after the November 2024 cut, SES, SQS standard, Secrets Manager, KMS, CloudWatch Logs).
"""
import sys

# --- The workload: issue 23's profile, per monthly active user (MAU). ----------------------
MAU = 100_000
PER_MAU = {"login": 10, "refresh": 300, "me": 100}
MAILS_PER_MAU = 2

# --- Measured: CPU time of each request on one full vCPU, and its store steps. --------------
# login: Argon2id verify, 153 ms on this 2-core machine (docs/BENCHMARKS.md, "Argon2id verify
# (ours)") with its two lanes on two cores at once: 306 ms of CPU, which one vCPU runs one lane
# after the other. me: the whole request in-process, 0.19 ms. refresh: 1.12 ms in-process (that
# includes an fsync the DynamoDB path does not make; kept as the upper bound).
CPU_MS = {"login": 306.0, "refresh": 1.12, "me": 0.19}
# How many vCPUs a request can keep busy: Argon2id's parallelism (p = 2) for login.
LANES = {"login": 2, "refresh": 1, "me": 1}
# Sequential DynamoDB steps, from the round-trip table (`steps` column).
STEPS = {"login": 4, "refresh": 2, "me": 1}
# An assumption, not measured here: one in-region DynamoDB round trip on a warm connection.
DYNAMODB_STEP_MS = 5.0
# The template's memory sizes (infra/template.yaml): login 1024 MB, the rest the global 256 MB.
MEMORY_MB = {"login": 1024, "refresh": 256, "me": 256}
# Lambda gives a function CPU in proportion to memory: one full vCPU at 1,769 MB (two at 3,538).
FULL_VCPU_MB = 1769
# Init, measured under the Runtime API emulator (median of 11, docs/BENCHMARKS.md): ~10 ms.
# Billed since August 2025. Assumed: at most 1 request in 100 meets a cold environment.
INIT_MS = 10.5
COLD_FRACTION = 0.01

# --- Counted DynamoDB units per request (round-trip table; items under 1 KB, reads under 4 KB).
# A consistent read is 1 RRU per 4 KB; a write 1 WRU per 1 KB; each item of a transaction
# costs twice (2 WRU), a condition check included.
# login: GetItem x4 (claim, lock, audit head, account) + Query (recent sessions) = 5 RRU;
#   UpdateItem (rate limit) 1 + DeleteItem (failure counters) 1 + one transaction of 5 items
#   (account check, session, refresh record, audit event, chain head) x2 = 12 WRU.
# refresh: BatchGetItem of 2 items = 2 RRU; a transaction of 3 items x2 = 6 WRU.
# me: BatchGetItem of 2 items = 2 RRU.
RRU = {"login": 5, "refresh": 2, "me": 2}
WRU = {"login": 12, "refresh": 6, "me": 0}
# Storage kept: account 1 KB, sessions 3 per account at 0.6 KB, refresh records 0.3 KB kept
# for their 30-day life (one per refresh), audit events 0.7 KB (one per login, kept a year).
STORAGE_GB = (MAU * (1.0 + 3 * 0.6) + MAU * PER_MAU["refresh"] * 0.3
              + 12 * MAU * PER_MAU["login"] * 0.7) / 1e6

# --- Logs: one JSON request line of ours (~400 B) and Lambda's START/END/REPORT (~350 B).
LOG_BYTES_PER_REQUEST = 750

# --- Mail: the handler enqueues; mail-sender (256 MB, ~60 ms: one SES call) sends.
SQS_REQUESTS_PER_MAIL = 3          # send, receive, delete (batching only lowers it)
MAIL_SENDER_MS = 60.0
# --- Keys: one secret; each warm environment reads it at init and every LATCH_KEYS_TTL_S.
KEYS_TTL_S = 600
WARM_ENVIRONMENTS = 64 * 2         # 64 functions, two warm environments each (an upper bound)

# --- Prices (USD). ---------------------------------------------------------------------------
LAMBDA_GB_S = 0.0000133334         # arm64
LAMBDA_REQUEST = 0.20 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6
DYNAMODB_RRU = 0.125 / 1e6
DYNAMODB_WRU = 0.625 / 1e6
DYNAMODB_GB_MONTH = 0.25
SES_MAIL = 0.10 / 1000
SQS_REQUEST = 0.40 / 1e6
SECRET_MONTH = 0.40
SECRET_CALL = 0.05 / 10_000
KMS_CALL = 0.03 / 10_000           # one Decrypt behind each GetSecretValue
LOG_GB = 0.50
# Cognito user pools, per MAU, with its free band of 10,000 MAU for Lite and Essentials.
COGNITO = {"Lite": (0.0055, 10_000), "Essentials": (0.015, 10_000), "Plus": (0.02, 0)}


def duration_ms(route, memory_mb=None):
    share = min(LANES[route], (memory_mb or MEMORY_MB[route]) / FULL_VCPU_MB)
    return CPU_MS[route] / share + STEPS[route] * DYNAMODB_STEP_MS


def bill():
    requests = {r: MAU * n for r, n in PER_MAU.items()}
    total_requests = sum(requests.values())
    mails = MAU * MAILS_PER_MAU
    gb_s = 0.0
    for r, n in requests.items():
        billed_ms = -(-duration_ms(r) // 1) + COLD_FRACTION * INIT_MS
        gb_s += n * billed_ms / 1000 * MEMORY_MB[r] / 1024
    gb_s += mails * MAIL_SENDER_MS / 1000 * 256 / 1024
    secret_calls = WARM_ENVIRONMENTS * 30 * 86_400 / KEYS_TTL_S + COLD_FRACTION * total_requests
    rows = [
        ("Lambda requests", f"{total_requests + mails:,} invocations × $0.20/M",
         (total_requests + mails) * LAMBDA_REQUEST),
        ("Lambda compute (arm64)", f"{gb_s:,.0f} GB-s × $0.0000133334", gb_s * LAMBDA_GB_S),
        ("HTTP API", f"{total_requests:,} requests × $1.00/M", total_requests * HTTP_API_REQUEST),
        ("DynamoDB reads", f"{sum(requests[r] * RRU[r] for r in requests):,} RRU × $0.125/M",
         sum(requests[r] * RRU[r] for r in requests) * DYNAMODB_RRU),
        ("DynamoDB writes", f"{sum(requests[r] * WRU[r] for r in requests):,} WRU × $0.625/M",
         sum(requests[r] * WRU[r] for r in requests) * DYNAMODB_WRU),
        ("DynamoDB storage", f"{STORAGE_GB:,.1f} GB × $0.25", STORAGE_GB * DYNAMODB_GB_MONTH),
        ("SES", f"{mails:,} mails × $0.10/1,000", mails * SES_MAIL),
        ("SQS", f"{mails * SQS_REQUESTS_PER_MAIL:,} requests × $0.40/M",
         mails * SQS_REQUESTS_PER_MAIL * SQS_REQUEST),
        ("Secrets Manager", f"1 secret + {secret_calls:,.0f} reads × $0.05/10,000",
         SECRET_MONTH + secret_calls * SECRET_CALL),
        ("KMS", f"{secret_calls:,.0f} Decrypt × $0.03/10,000", secret_calls * KMS_CALL),
        ("CloudWatch Logs", f"{total_requests * LOG_BYTES_PER_REQUEST / 1e9:,.1f} GB × $0.50",
         total_requests * LOG_BYTES_PER_REQUEST / 1e9 * LOG_GB),
    ]
    return rows


def memory_table():
    """Login and `me` duration and cost per million at each memory size, from the CPU share."""
    out = ["<!-- memory-sizes:start -->",
           "| memory | CPU share | login | login $/M | me | me $/M |",
           "|---|---|---|---|---|---|"]
    for mb in (128, 256, 512, 1024, 1769, 3538):
        cells = [f"{mb} MB", f"{mb / FULL_VCPU_MB:.2f} vCPU"]
        for route in ("login", "me"):
            ms = duration_ms(route, mb)
            billed = -(-ms // 1)
            cost = billed / 1000 * mb / 1024 * LAMBDA_GB_S * 1e6 + LAMBDA_REQUEST * 1e6
            cells += [f"{ms:.1f} ms", f"{cost:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    out.append("<!-- memory-sizes:end -->")
    return "\n".join(out)


def main():
    if sys.argv[1:] == ["memory"]:
        print(memory_table())
        return
    rows = bill()
    total = sum(c for _, _, c in rows)
    out = ["<!-- cost-model:start -->",
           f"Per {MAU:,} MAU a month: {', '.join(f'{n} {r}' for r, n in PER_MAU.items())}, "
           f"{MAILS_PER_MAU} mails each. Durations: "
           + ", ".join(f"{r} {duration_ms(r):.1f} ms at {MEMORY_MB[r]} MB" for r in PER_MAU) + ".",
           "",
           "| item | formula | USD / month |",
           "|---|---|---|"]
    out += [f"| {name} | {formula} | {cost:,.2f} |" for name, formula, cost in rows]
    out.append(f"| **Latch, total** | | **{total:,.2f}** |")
    for tier, (price, free) in COGNITO.items():
        cognito = max(0, MAU - free) * price
        out.append(f"| Cognito {tier} | ({MAU:,} − {free:,} free) × ${price} | {cognito:,.2f} "
                   f"(Latch = {100 * total / cognito:.1f} %) |")
    out.append("<!-- cost-model:end -->")
    print("\n".join(out))


if __name__ == "__main__":
    main()
