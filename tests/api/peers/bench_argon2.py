"""Times argon2-cffi (the reference C implementation) at Latch's parameters: Argon2id, 64 MiB,
t=3, p=2. Prints the median of 20 hashes and 20 verifications, in milliseconds."""
import statistics, time
from argon2 import PasswordHasher, Type

ph = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=2, hash_len=32, salt_len=16, type=Type.ID)
def median_ms(fn, n=20):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)
stored = ph.hash("violet-tractor-harbour-19")
print(f"argon2-cffi hash   median {median_ms(lambda: ph.hash('violet-tractor-harbour-19')):.1f} ms")
print(f"argon2-cffi verify median {median_ms(lambda: ph.verify(stored, 'violet-tractor-harbour-19')):.1f} ms")
