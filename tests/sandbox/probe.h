/* probe.h -- the escape probe: a sandbox entry (wsb_entry_fn) that tries
 * every way out we know of and reports each attempt over its channel.
 *
 * Protocol on the channel (SOCK_SEQPACKET, one message per line):
 *   driver -> probe  "HELLO hostpid=P port=N absent=MASK nproc=N nofile=N
 *                    memory=BYTES"  (limits: 0 = none; MASK: the
 *                    WPROBE_F_* bits the host lacks, in hex)
 *   probe -> driver  one record per check, in wprobe_name() order:
 *                    "V\tNAME\tDETAIL", V = B (blocked), E (escaped),
 *                    S (skipped: DETAIL says why; a check that needs an
 *                    absent feature is not run and says "needs"), or H
 *                    (the driver judges it from the host)
 *   probe -> driver  "END pid=INSIDE-PID"  (then the probe waits)
 *   driver -> probe  "BYE"  (the probe returns 0)
 * The probe stays alive between END and BYE so that the driver can look at
 * it from the host (/proc/PID/status). */
#ifndef WARD_TEST_PROBE_H
#define WARD_TEST_PROBE_H

#include <stddef.h>

#define WPROBE_MSG_MAX 512

/* Host features a check depends on. The driver probes each one outside the
 * sandbox; a check that needs a feature the host lacks is skipped, since
 * there its verdict would be either a false failure or a vacuous pass. */
enum {
  WPROBE_F_IA32 = 1u << 0,        /* 32-bit int 0x80 emulation */
  WPROBE_F_X32 = 1u << 1,         /* the x32 syscall ABI */
  WPROBE_F_KEYS = 1u << 2,        /* keyctl, add_key (CONFIG_KEYS) */
  WPROBE_F_USERNS = 1u << 3,      /* a user namespace inside a user namespace */
  WPROBE_F_CLONE3 = 1u << 4,      /* the clone3 syscall */
  WPROBE_F_PTRACE = 1u << 5,      /* PTRACE_TRACEME */
  WPROBE_F_PERSONALITY = 1u << 6, /* personality READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE */
  WPROBE_F_UNFILTERED = 1u << 7,  /* no seccomp filter on the test process */
  WPROBE_F_IO_URING = 1u << 8,    /* io_uring_setup */
  WPROBE_F_LDT = 1u << 9,         /* modify_ldt */
};
#define WPROBE_NFEATURES 10

/* Feature bit i (0 .. WPROBE_NFEATURES-1): its short name (as written in
 * WARD_TEST_ESCAPE_ABSENT) and what it is, in a few words. */
const char *wprobe_feature_name (unsigned i);
const char *wprobe_feature_what (unsigned i);

/* The sandbox entry. */
int wprobe_entry (int chan);

/* Number of checks, and the name of check i, so that the driver knows what
 * to expect even when the probe dies half-way. */
size_t wprobe_count (void);
const char *wprobe_name (size_t i);
/* The WPROBE_F_* bits check i needs. */
unsigned wprobe_needs (size_t i);

#endif
