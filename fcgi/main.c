/* trader-api: the FastCGI program behind nginx. One request at a time per
 * process (spawn-fcgi starts several); the database connection and its
 * prepared statements live as long as the process, everything a request
 * allocates is freed when it is answered. SIGTERM ends the loop after the
 * current request. */
#include "app.h"
#include "http.h"
#include "base/log.h"
#include "routes.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
    FCGX_ShutdownPending();
}

/* SIGTERM/SIGINT interrupt accept() (no SA_RESTART) so the loop can end;
 * SIGPIPE from a vanished client is an I/O error, not a death. */
static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* Parses, routes and answers one request; frees what it allocated. */
static void serve(FCGX_Request *fr, struct app *app)
{
    struct request req;
    struct response resp;
    memset(&resp, 0, sizeof(resp));
    if (http_parse(fr->envp, &req, &resp) == 0 && http_read_body(fr->in, &req, &resp) == 0)
        routes_dispatch(&req, &resp, app);
    http_send(fr->out, &resp);
    http_response_free(&resp);
    http_request_free(&req);
}

int main(void)
{
    char err[ERRBUF_SIZE];
    struct app app;
    FCGX_Request fr;
    if (app_init(&app, err, sizeof(err)) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, "trader-api", NULL, NULL, NULL, "%s", err);
        return 1;
    }
    /* Doubles (durations, return_pct) as at most 15 significant digits. */
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    if (install_signals() != 0 || FCGX_Init() != 0 ||
        FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_emit(LOG_LEVEL_CRITICAL, "trader-api", NULL, NULL, NULL, "cannot initialize FastCGI");
        app_free(&app);
        return 1;
    }
    if (!app_db(&app))
        log_emit(LOG_LEVEL_WARNING, "trader-api", NULL, NULL, NULL,
                 "pid %d: database unavailable for now: %s", (int)getpid(), app.db_err);
    while (!stopping && FCGX_Accept_r(&fr) == 0) {
        serve(&fr, &app);
        FCGX_Finish_r(&fr);
    }
    FCGX_Free(&fr, 1);
    app_free(&app);
    return 0;
}
