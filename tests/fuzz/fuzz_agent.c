/* Fuzzes the agent's step loop with a model that answers anything: each
 * completion it returns is parsed by llm_response_parse from the next part
 * of the input, and agent_run appends it to the history, runs its tool calls
 * against a model-day context on a small price store, and records every
 * message. Each request serializes the history, as llm_chat does. Every
 * recorded message_json must be JSON that SQLite's json_valid accepts, since
 * reasoning_logs checks it and a refused row would fail the day's commit.
 *
 * Input: completion bodies separated by lines "=====" (at most 8 steps; when
 * the parts run out, the model fails). Each input gets a fresh directory and
 * database. */
#include "agent/agent.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#define SEPARATOR "\n=====\n"
#define MAX_STEPS 8

/* The rest of the input, handed out one part per completion. */
struct script {
    const uint8_t *next, *end;
    unsigned long seq;
};

static int chat(void *self, json_object *messages, json_object *tools, const atomic_int *stop,
                struct llm_response **out, struct llm_outcome *oc, char *err, size_t errlen)
{
    struct script *s = self;
    (void)stop;
    memset(oc, 0, sizeof(*oc));
    oc->attempts = 1;
    json_object_to_json_string_ext(messages, JSON_C_TO_STRING_PLAIN);
    json_object_to_json_string_ext(tools, JSON_C_TO_STRING_PLAIN);
    if (!s->next) {
        oc->cls = LLM_PERMANENT;
        return err_set(err, errlen, "the script has no more completions");
    }
    const uint8_t *sep =
        memmem(s->next, (size_t)(s->end - s->next), SEPARATOR, sizeof(SEPARATOR) - 1);
    const uint8_t *part = s->next, *part_end = sep ? sep : s->end;
    s->next = sep ? sep + sizeof(SEPARATOR) - 1 : NULL;
    if (llm_response_parse((const char *)part, (size_t)(part_end - part), "fuzz", ++s->seq, out,
                           err, errlen) != 0) {
        oc->cls = LLM_TRANSIENT;
        oc->kind = LLM_E_BAD_RESPONSE;
        return -1;
    }
    oc->cls = LLM_OK;
    return 0;
}

/* What reasoning_logs' CHECK(json_valid(message_json)) says of s. */
static int sqlite_json_valid(struct db *db, const char *s)
{
    static const char sql[] = "SELECT json_valid(?1)";
    char err[ERRBUF_SIZE];
    struct db_stmt *st = db_stmt(db, sql, err, sizeof(err));
    int valid = -1;
    if (!st)
        abort();
    db_bind_text(st, 1, s);
    if (db_step(db, st, "json_valid", err, sizeof(err)) == DB_STEP_ROW)
        valid = db_col_int(st, 0);
    db_reset(st);
    return valid == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_MAX], err[ERRBUF_SIZE];
    struct script s = {data, data + size, 0};
    struct agent_model m = {chat, &s};
    struct tools_ctx ctx;
    struct db *db;

    fuzz_tmpdir(dir);
    db = fuzz_db(dir, fuzz_prices);
    fuzz_day(&ctx, db);
    struct agent_limits lim = {MAX_STEPS, MAX_STEPS, MAX_STEPS};
    agent_run(&ctx, &m, &lim, NULL, err, sizeof(err));
    for (size_t i = 0; i < ctx.nmsgs; i++)
        if (ctx.msgs[i].message_json && !sqlite_json_valid(db, ctx.msgs[i].message_json))
            __builtin_trap();
    tools_ctx_free(&ctx);
    db_close(db);
    fuzz_rmtree(dir);
    return 0;
}
