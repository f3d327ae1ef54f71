/* notify: delivering job webhooks (CONTRACT section 8). One pass takes the
 * ended jobs whose callback is due (jobs.h), POSTs each its signed status
 * summary (callback.h's rules and signature, jobview's summary) and records
 * the attempt (job_callbacks, callback.h) and, when it decides, the
 * callback's outcome (jobs.h), with retries on a doubling backoff. */
#ifndef TRADER_NOTIFY_H
#define TRADER_NOTIFY_H

#include <stddef.h>

#include "store/db.h"

/* One pass over the ended jobs whose callback is due (pending, and the
 * backoff since the last attempt has passed): one POST each, recorded with
 * its outcome; the job's callback becomes delivered on a 2xx answer and
 * failed after the last attempt. *n = attempts made. Returns 0, or -1 when
 * the database failed. */
int notify_deliver_due(struct db *db, int *n, char *err, size_t errlen);

#endif
