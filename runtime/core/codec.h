/* codec.h -- the one message codec (DESIGN 2.3): Lua values <-> bytes.
 * Used between in-process actors (sender encodes in its own lua_State,
 * receiver decodes in its own) and, later, over the wire to subprocess
 * actors. Encoding never runs a metamethod; decoding validates every byte
 * and never trusts a length. */
#ifndef WARD_CODEC_H
#define WARD_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include "werr.h"
#include "wbuf.h"

#define WARD_CODEC_MAX_DEPTH 32            /* nesting of tables */
#define WARD_CODEC_MAX_BYTES (16u << 20)   /* one encoded message */
#define WARD_CODEC_MAX_VALUES 255          /* values in one message (payload arity) */
#define WARD_CODEC_DEPTH_CAP 200           /* max_depth above this is clamped (bounds C recursion) */

/* Userdata the runtime sends by reference (spawn_vm channels): the codec
 * asks `ref` for the bytes naming the object and, on the other side, asks
 * `push` to make a new userdata from those bytes. */
typedef struct ward_codec_handle {
  const char *tname;   /* luaL_newmetatable name, e.g. "ward.vmchan" */
  /* Return a pointer to the reference bytes (valid until the value is
   * popped) or NULL with err filled. */
  const char *(*ref) (lua_State *L, int idx, size_t *len, ward_err *err);
  /* Push one value made from the reference; -1 with err on bad input. */
  int (*push) (lua_State *L, const char *ref, size_t len, ward_err *err);
  /* Another userdata type that ref also turns into reference bytes (the
   * Emilua inbox: it travels as a channel to its owner); NULL = none. */
  const char *alias;
} ward_codec_handle;

typedef struct ward_codec_opts {
  size_t max_depth;                  /* 0 = WARD_CODEC_MAX_DEPTH; a top-level table is depth 1 */
  size_t max_bytes;                  /* 0 = WARD_CODEC_MAX_BYTES; decode refuses longer input too */
  const ward_codec_handle *handle;   /* NULL = no handle type accepted */
  /* Descriptors ("ward.fd", lfd.h): NULL = refused. encode appends a dup
   * of each (and closes what it added when it fails); decode takes each
   * out of the list (the caller closes what is left). */
  struct ward_fdvec *fds;
  /* Errors name the value at position payload_from as payload[1] (the
   * earlier ones as argument[i]): a call's arguments encoded whole (0 or 1
   * = the first value is payload[1]). */
  int payload_from;
} ward_codec_opts;

/* Encode the n values at stack indices idx .. idx+n-1 into out (appending).
 * Accepted: nil, booleans, integers, floats, strings (binary-safe), tables
 * without metatables whose keys are booleans, numbers or strings (nesting
 * up to max_depth; a cycle is an error), handles and, with opts->fds, file
 * descriptors. Refused with
 * WARD_E_INVALID and a message naming the path ("payload[2].a.b: functions
 * cannot be sent"): functions, threads, userdata, light userdata, tables
 * with a metatable, cycles, too deep, too large. Does not change the stack
 * (may use lua_checkstack). May raise a Lua memory error. */
int ward_codec_encode (lua_State *L, int idx, int n, wbuf *out,
                       const ward_codec_opts *opts, ward_err *err);

/* Decode a whole message made by ward_codec_encode, pushing its values.
 * On success *nvalues gets their number. Any malformed, truncated or
 * trailing input gives WARD_E_INVALID and leaves the stack as it was.
 * May raise a Lua memory error (the stack is then unwound by Lua). */
int ward_codec_decode (lua_State *L, const uint8_t *p, size_t len,
                       const ward_codec_opts *opts, int *nvalues, ward_err *err);

/* Call each(ref, len, ctx) for the reference bytes of every handle in an
 * encoded message, in order, without decoding anything else (no Lua
 * state). Returns 0; -1 when the input is not a well-formed message (what
 * was walked before may have been reported) or when each returned
 * non-zero (the walk stops there). */
int ward_codec_each_handle (const uint8_t *p, size_t len,
                            int (*each) (const char *ref, size_t len, void *ctx), void *ctx);

/* ---- one scalar, without the general machinery ----
 * The commonest message is a single number or flag: these read and write
 * it directly. They give the very bytes and values ward_codec_encode and
 * ward_codec_decode would, and decline (0) whatever else. */
enum { WARD_CODEC_S_NONE, WARD_CODEC_S_NIL, WARD_CODEC_S_FALSE, WARD_CODEC_S_TRUE,
       WARD_CODEC_S_INT, WARD_CODEC_S_FLT };

typedef struct ward_codec_scalar {
  int kind;                      /* WARD_CODEC_S_*: NONE is no value at all */
  union { lua_Integer i; lua_Number d; } v;
} ward_codec_scalar;

#define WARD_CODEC_SCALAR_BYTES 13     /* version, count, tag, a 10-byte varint */

/* The message of the n values at idx (n 0 or 1, stack unchanged) when they
 * are no value or one nil, boolean or number, written to out: its length;
 * 0 when they are anything else or do not fit opts' byte limit (encode
 * them with ward_codec_encode, which says why). */
size_t ward_codec_encode_scalar (lua_State *L, int idx, int n, const ward_codec_opts *opts,
                                 uint8_t out[WARD_CODEC_SCALAR_BYTES]);

/* 1 with *s when the message p is exactly no value or one nil, boolean or
 * number that ward_codec_decode would accept; 0 otherwise (decode it). */
int ward_codec_decode_scalar (const uint8_t *p, size_t len, const ward_codec_opts *opts,
                              ward_codec_scalar *s);

/* Push the value of s (nothing for NONE): how many were pushed (0 or 1). */
int ward_codec_push_scalar (lua_State *L, const ward_codec_scalar *s);

#endif
