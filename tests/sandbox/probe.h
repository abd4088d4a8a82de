/* probe.h -- the escape probe: a sandbox entry (wsb_entry_fn) that tries
 * every way out we know of and reports each attempt over its channel.
 *
 * Protocol on the channel (SOCK_SEQPACKET, one message per line):
 *   driver -> probe  "HELLO hostpid=P port=N ia32=0|1 nproc=N nofile=N
 *                    memory=BYTES"  (limits: 0 = none)
 *   probe -> driver  one record per check, in wprobe_name() order:
 *                    "V\tNAME\tDETAIL", V = B (blocked), E (escaped),
 *                    S (skipped: DETAIL says why) or H (the driver must
 *                    judge from the host: see wprobe_host_check())
 *   probe -> driver  "END pid=INSIDE-PID"  (then the probe waits)
 *   driver -> probe  "BYE"  (the probe returns 0)
 * The probe stays alive between END and BYE so that the driver can look at
 * it from the host (/proc/PID/status). */
#ifndef WARD_TEST_PROBE_H
#define WARD_TEST_PROBE_H

#include <stddef.h>

#define WPROBE_MSG_MAX 512

/* The sandbox entry. */
int wprobe_entry (int chan);

/* Number of checks, and the name of check i, so that the driver knows what
 * to expect even when the probe dies half-way. */
size_t wprobe_count (void);
const char *wprobe_name (size_t i);

#endif
