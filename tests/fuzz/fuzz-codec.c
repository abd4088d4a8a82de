/* fuzz-codec.c -- the message codec's decoder (runtime/core/codecdec.c) with the
 * runtime's own handle (spawn_vm channels) and descriptors.
 *
 * Input: one byte of options, then the encoded message. The options give
 * how many descriptors come with the message (low 5 bits; past WARD_FD_MAX
 * is clamped), which handle table applies (bit 5: values from the wire,
 * else between in-process actors) and whether handles are refused (bit 6).
 * What decodes is encoded again and decoded again, which must succeed with
 * as many values. After the run every descriptor, given or decoded, must
 * be closed: the Lua state is closed and the lowest free descriptor
 * compared with the one before. */
#include "config.h"
#include "fuzz.h"
#include "codec.h"
#include "lfd.h"
#include "rt.h"
#include "vm.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <unistd.h>

/* the runtime's end of the first process: not reached from here */
void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p;
  (void) abnormal;
  (void) error;
}

typedef struct job {
  const uint8_t *p;
  size_t len;
  ward_codec_opts opts;
  ward_fdvec *fds;
  int decoded;                  /* values, or -1: refused */
} job;

static int
run (lua_State *L)
{
  job *j = lua_touserdata (L, 1);
  lua_settop (L, 0);
  ward_err err;
  int n = 0;
  ward_codec_opts o = j->opts;
  o.fds = j->fds;
  if (ward_codec_decode (L, j->p, j->len, &o, &n, &err) < 0)
    {
      if (lua_gettop (L) != 0)
        fuzz_fail ("a refused message left values on the stack");
      j->decoded = -1;
      return 0;
    }
  if (lua_gettop (L) != n)
    fuzz_fail ("decode pushed a different number of values than it said");
  j->decoded = n;
  /* again: what decoded encodes, and that decodes to as many values */
  wbuf b;
  wbuf_init (&b, 0);
  ward_fdvec again = { 0 };
  o.fds = &again;
  if (ward_codec_encode (L, 1, n, &b, &o, &err) == 0)
    {
      int m = 0;
      ward_codec_opts o2 = j->opts;
      o2.fds = &again;
      if (ward_codec_decode (L, b.data, b.len, &o2, &m, &err) < 0 || m != n)
        {
          wbuf_free (&b);
          ward_fdvec_close (&again);
          fuzz_fail ("a decoded message did not read back after encoding");
        }
    }
  wbuf_free (&b);
  ward_fdvec_close (&again);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int before = fuzz_lowest_free_fd ();
  ward_fdvec fds = { 0 };
  unsigned want = data[0] & 0x1f;
  if (want > WARD_FD_MAX)
    want = WARD_FD_MAX;
  for (unsigned i = 0; i < want; i++)
    {
      int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
      ward_err err;
      if (fd < 0 || ward_fdvec_own (&fds, fd, &err) < 0)
        fuzz_fail ("cannot make the descriptors of a message");
    }
  job j = { data + 1, size - 1, *((data[0] & 0x20) ? ward_codec_opts_wire ()
                                  : ward_codec_opts_rt ()), &fds, 0 };
  if (data[0] & 0x40)
    j.opts.handle = NULL;
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    fuzz_fail ("luaL_newstate");
  lua_pushcfunction (L, run);
  lua_pushlightuserdata (L, &j);
  (void) lua_pcall (L, 1, 0, 0);        /* a memory error is an answer too */
  lua_close (L);
  ward_fdvec_close (&fds);
  if (fuzz_lowest_free_fd () != before)
    fuzz_fail ("a descriptor was left open");
  return 0;
}
