/* fuzz: what the fuzz harnesses share. Each tests/fuzz/fuzz_<target>.c
 * defines LLVMFuzzerTestOneInput for one parser of untrusted input; libFuzzer
 * (scripts/fuzz, clang) or replay.c (make check, any compiler) calls it with
 * one input at a time. A harness keeps no state between inputs, frees what it
 * allocates and removes the files it writes. The helpers below abort on a
 * failure of the test environment itself (no temp dir, no database) so that
 * is never mistaken for a finding. */
#ifndef TRADER_FUZZ_H
#define TRADER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "base/errbuf.h"
#include "trading/tools.h"

#define FUZZ_PATH_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A new private directory under $TMPDIR (default /tmp), written to dir: the
 * same name for every input of a process (environment variables naming it
 * then never change, so setenv allocates nothing per input, which would make
 * libFuzzer look for a leak after every input). */
void fuzz_tmpdir(char dir[FUZZ_PATH_MAX]);

/* Removes dir and everything under it. */
void fuzz_rmtree(const char *dir);

/* dir/rel into out; rel may hold '/'. */
void fuzz_path(char out[FUZZ_PATH_MAX], const char *dir, const char *rel);

/* Writes the n bytes of data to dir/rel, creating rel's directories. */
void fuzz_write(const char *dir, const char *rel, const void *data, size_t n);

/* A NUL-terminated copy of data (malloc'd, caller frees). */
char *fuzz_cstr(const uint8_t *data, size_t n);

/* A migrated database at dir/trader.db, filled by the SQL script (may be
 * NULL; a string with static storage: its address keys a cache of the
 * file's bytes). Caller closes it with db_close. */
struct db *fuzz_db(const char *dir, const char *script);

/* A price store for the harnesses that trade: full bars of AAPL and NVDA
 * on 2025-01-02, 2025-01-03 and 2025-01-06, then AAPL's 2025-01-07 with only
 * its open (an AI-Trader file's last day). A script for fuzz_db. */
extern const char fuzz_prices[];

/* The model-day of "model-a" on FUZZ_DAY (a store from fuzz_prices), from
 * 10000 cash and 5 AAPL, trading the default universe. Caller frees ctx with
 * tools_ctx_free. */
#define FUZZ_DAY "2025-01-03"
void fuzz_day(struct tools_ctx *ctx, struct db *db);

#endif
