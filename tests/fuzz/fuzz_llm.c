/* Fuzzes what an LLM endpoint sends back: llm_response_parse on the body of
 * a chat completion, llm_parse_arguments on each tool call's arguments (the
 * model writes them) and on the raw input, and llm_retry_after_parse on the
 * input as a Retry-After header value. */
#include "fuzz.h"
#include "agent/llm.h"

#include <stdlib.h>
#include <string.h>

static void arguments(const char *s)
{
    json_object *args;
    char err[ERRBUF_SIZE];
    if (llm_parse_arguments(s, &args, err, sizeof(err)) != 0)
        return;
    if (!json_object_is_type(args, json_type_object))
        __builtin_trap(); /* the contract: exactly one object */
    json_object_put(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llm_response *r;
    char err[ERRBUF_SIZE], *s = fuzz_cstr(data, size);
    double seconds;
    if (llm_response_parse((const char *)data, size, "fuzz", 1, &r, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < r->ncalls; i++) {
            if (!r->calls[i].id || !*r->calls[i].id || !r->calls[i].arguments)
                __builtin_trap(); /* ids are synthesized, arguments always a string */
            arguments(r->calls[i].arguments);
        }
        json_object_to_json_string(r->message);
        llm_response_free(r);
    }
    arguments(s);
    if (llm_retry_after_parse(s, 1750000000, &seconds) == 0 && !(seconds >= 0))
        __builtin_trap();
    free(s);
    return 0;
}
