/* routes: the API's route table and the dispatcher that applies it. Each
 * route is data: method, path pattern (literal segments and at most one
 * {param} segment), handler, flags and the query parameters it declares with
 * their validators. Everything the table says is checked before a handler
 * runs: unknown path (404), wrong method (405 with Allow), who may call it
 * (401/403, see auth.h: a mutating route needs a write key), a JSON body
 * where one is accepted (415), every declared parameter's syntax (400), the
 * database (503). Unknown query parameters are ignored. Every request to a
 * mutating route leaves an audit_log row, refusals included. */
#ifndef TRADER_ROUTES_H
#define TRADER_ROUTES_H

#include "app.h"
#include "http.h"

/* A handler fills resp and returns 0, or returns -1 with resp->err saying
 * why (the dispatcher logs it and answers 500). */
typedef int (*route_handler)(struct request *req, struct response *resp, struct app *app);

/* The pages (one file each). Adding an endpoint = a handler declared here and
 * one line in the table of routes.c. */
int page_health(struct request *req, struct response *resp, struct app *app);
int page_status(struct request *req, struct response *resp, struct app *app);
int page_current(struct request *req, struct response *resp, struct app *app);
int page_results(struct request *req, struct response *resp, struct app *app);
int page_trigger(struct request *req, struct response *resp, struct app *app);
int page_performance(struct request *req, struct response *resp, struct app *app);
int page_performance_series(struct request *req, struct response *resp, struct app *app);
int page_jobs(struct request *req, struct response *resp, struct app *app);
int page_cancel(struct request *req, struct response *resp, struct app *app);

/* Answers 503 unavailable for a write that failed for a transient reason
 * of the host's (db_transient), logging what failed and msg, and drops the
 * app's writer connection. Returns 0. */
int page_unavailable(struct app *app, struct response *resp, const char *what, const char *msg);

/* Answers status with job_id's summary document and a "message" (an active
 * job's, after a trigger or a cancel; in page_jobs.c). Returns 0, or -1. */
int page_job_answer(struct db *db, const char *job_id, int status, const char *message,
                    struct response *resp);

/* Answers req into resp. Returns 0 (resp is always filled). */
int routes_dispatch(struct request *req, struct response *resp, struct app *app);

#endif
