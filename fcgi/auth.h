/* auth: who may call an endpoint (CONTRACT section 6), as the route table
 * asks it. Parses the Authorization header (Bearer tokens only), tells
 * loopback clients apart, and decides: a mutating route needs a write key;
 * a read route needs any key when TRADER_AUTH_READS=1, nothing otherwise.
 * Protected mode: while no key exists, mutating routes (and reads under
 * TRADER_AUTH_READS=1) answer loopback clients only. Refusals are 401
 * unauthorized with WWW-Authenticate: Bearer, or 403 forbidden for a read
 * key on a mutating route. The keys themselves are src/access's. */
#ifndef TRADER_AUTH_H
#define TRADER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "service/access.h"
#include "app.h"
#include "http.h"

/* The token of an Authorization header value "Bearer TOKEN" (scheme in any
 * case, then spaces, then an RFC 6750 b64token of at most ACCESS_TOKEN_MAX
 * characters, then optional blanks). True with *token and *len set to the
 * token inside header, false when header is not such a credential. */
bool auth_bearer(const char *header, const char **token, size_t *len);

/* True when addr is a loopback address (127.0.0.0/8, ::1 or
 * ::ffff:127.0.0.0/104). */
bool auth_loopback(const char *addr);

/* Decides whether req may use a route (write: a mutating one). Returns 0
 * when it may, with actor set to the key's name or ACCESS_LOOPBACK; -1 with
 * resp filled (401, 403, or 503 when the keys cannot be read), actor set to
 * the key's name when a key matched (a 403). A key's last use is recorded
 * at most once a minute. */
int auth_check(struct app *app, const struct request *req, bool write, char actor[ACCESS_NAME_BUF],
               struct response *resp);

#endif
