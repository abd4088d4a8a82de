/* fuzz.h -- what every fuzz harness of tests/fuzz/ shares. Each harness
 * defines LLVMFuzzerTestOneInput; linked with -fsanitize=fuzzer it is a
 * libFuzzer target (make fuzz), linked with replay.c it is the check that
 * replays the harness's committed corpus (make check). A harness aborts
 * on anything the code under test must never do (a leaked descriptor, a
 * canonical text that does not read back), so both builds catch it. */
#ifndef WARD_FUZZ_H
#define WARD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The lowest free descriptor number: a harness takes it before a run and
 * checks it after, so that a descriptor the code under test kept open
 * (leaked) is found at once. */
int fuzz_lowest_free_fd (void);

/* Abort with a message on stderr: the harness found a bug. */
void fuzz_fail (const char *what) __attribute__ ((noreturn));

#endif
