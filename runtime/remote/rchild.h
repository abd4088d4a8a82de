/* rchild.h -- what the two files of a subprocess actor's child side share
 * (remote.h is the contract): remote.c boots the actor, reads the runtime's
 * frames and makes its calls; rhandle.c counts the copies of channels the
 * child holds and sends the DROPs. Internal to runtime/remote/. Prefix
 * ward_remote_. */
#ifndef WARD_RCHILD_H
#define WARD_RCHILD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "remote.h"

/* ---- remote.c ---- */

/* Frames to the runtime are written by the actor's thread (its calls, its
 * DROPs) and at its end (ward_remote_exited): one at a time, under this. */
extern pthread_mutex_t ward_remote_tx_lock;
/* Whether the actor has ended, is ending or does not exist yet: no DROP
 * goes then (the runtime drops every copy the child held at its end). */
int ward_remote_actor_done (void);
/* Set while the actor's worker takes frames from the channel: it must not
 * wait to write a DROP then, as a reader thread must not. */
extern _Thread_local int ward_remote_taking;

/* ---- rhandle.c ---- */

/* The reader thread, which must never wait to write a DROP (the runtime
 * may be waiting for it to read): set before the actor exists. */
void ward_remote_copies_reader (pthread_t reader);
/* The runtime sent the child the encoded values data: each handle in them
 * is a copy it counts (bhandle.c ward_broker_grant_handles). */
void ward_remote_copies_grant (const uint8_t *data, size_t len);
/* m came from the runtime: the copies in its values are counted, and kept
 * by m until it is decoded or freed. */
void ward_remote_msg_granted (ward_msg *m);
/* A CALL with the encoded arguments args goes out: their copies are held
 * until its REPLY is taken (ward_remote_call_done). 0, or -1 (out of
 * memory: the call is not made). */
int ward_remote_call_holds (const uint8_t *args, size_t len);
/* The oldest call's REPLY was taken (or, last = 1, the call just queued
 * was not sent): its arguments' copies go. */
void ward_remote_call_done (int last);
/* Send the DROPs that wait if the channel takes them now (the actor's
 * thread; ward_remote_flush_drops waits for room). */
void ward_remote_try_drops (void);

#endif
