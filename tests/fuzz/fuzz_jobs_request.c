/* Fuzzes jobreq_parse: the body of POST /simulate/trigger as a client
 * sends it (any bytes, not NUL-terminated). An accepted request must say what
 * the parser promises: real dates in order, a sorted date list without
 * duplicates, valid and unique model signatures. */
#include "fuzz.h"
#include "service/jobs.h"

#include <string.h>

static void check(const struct jobreq *r)
{
    if ((r->start[0] && !date_valid(r->start)) || (r->end[0] && !date_valid(r->end)) ||
        (r->start[0] && r->end[0] && strcmp(r->start, r->end) > 0) ||
        (r->has_dates && (r->dates.n == 0 || r->start[0] || r->end[0])))
        __builtin_trap();
    for (size_t i = 0; i < r->dates.n; i++)
        if (!date_valid(r->dates.d[i]) || (i > 0 && strcmp(r->dates.d[i - 1], r->dates.d[i]) >= 0))
            __builtin_trap();
    for (size_t i = 0; i < r->nmodels; i++) {
        if (!config_signature_valid(r->models[i]))
            __builtin_trap();
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->models[i], r->models[j]) == 0)
                __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jobreq r;
    enum jobreq_fail why;
    char err[ERRBUF_SIZE];
    if (jobreq_parse((const char *)data, size, &r, &why, err, sizeof(err)) != 0)
        return 0;
    check(&r);
    jobreq_free(&r);
    return 0;
}
