/* Unit tests for daystore: a model-day's positions row and its trades,
 * holdings, reasoning_logs and tool_usage rows are stored as given (absent
 * texts as null) and its holdings read back; a second result for the same
 * model and date, or a row the schema refuses, fails with the table named. */
#include "service/daystore.h"

#include "simfixture.h"
#include "tap.h"

static struct fixture fx;

int main(void)
{
    char err[512] = "", buf[256];
    long long id = 0;
    struct portfolio pf;
    if (fx_open(&fx) != 0 ||
        fx_exec(fx.db, "INSERT INTO jobs(job_id,config_path,status,date_range,models,created_at)"
                       " VALUES('j1','c','running','[]','[]','2025-01-01T00:00:00.000Z')") != 0)
        return 1;
    portfolio_init(&pf, 500 * MONEY_SCALE);
    portfolio_set(&pf, "AAA", 3);
    portfolio_set(&pf, "BBB", 1);
    const struct daystore_trade trades[] = {
        {1, "buy", "AAA", 3, 10 * MONEY_SCALE, 30 * MONEY_SCALE, 0},
        {2, "buy", "BBB", 1, 20 * MONEY_SCALE, 20 * MONEY_SCALE, 1500000},
    };
    const struct splits_applied splits[] = {
        {"AAA", "2025-01-02", "1.5000", 1500000, 2, 3, 10 * MONEY_SCALE, 0},
    };
    const struct daystore_message msgs[] = {
        {0, "user", "go", NULL, NULL, NULL, "2025-01-02T00:00:00.000Z", -1},
        {1, "tool", "{}", "get_price", "c1", "{\"role\":\"tool\"}", "2025-01-02T00:00:01.000Z", 1},
    };
    const struct daystore_tool tools[] = {{"get_price", 2, 1, 1.5}};
    struct daystore_day day = {
        .job_id = "j1",
        .date = "2025-01-02",
        .model = "m",
        .cash = pf.cash,
        .pnl = {550 * MONEY_SCALE, 500 * MONEY_SCALE, 50 * MONEY_SCALE, 10.0},
        .total_steps = 1,
        .stop_signal = 1,
        .prompt_tokens = 7,
        .completion_tokens = 8,
        .total_tokens = 15,
        .priced = 1,
        .cost = 1234,
        .created_at = "2025-01-02T00:00:02.000Z",
        .trades = trades,
        .ntrades = 2,
        .holdings = &pf,
        .messages = msgs,
        .nmessages = 2,
        .tools = tools,
        .ntools = 1,
        .splits = splits,
        .nsplits = 1,
    };

    ok(daystore_insert(fx.db, &day, &id, err, sizeof(err)) == 0, "a day is stored (%s)", err);
    is_int(fx_intf(fx.db, "SELECT id FROM positions WHERE model='m'"), id, "  its position id");
    is_int(fx_int(fx.db, "SELECT portfolio_value + prev_value + daily_profit FROM positions"),
           1100 * MONEY_SCALE, "  its value, previous value and profit");
    is_int(fx_int(fx.db, "SELECT total_tokens FROM positions WHERE stop_signal = 1"), 15,
           "  its tokens and stop signal");
    is_int(fx_int(fx.db, "SELECT cost * 10 + ntrades FROM positions"), 12342,
           "  its cost and its number of trades");
    is_int(fx_int(fx.db, "SELECT count(*) FROM positions WHERE reasoning_summary IS NULL AND"
                         " log_file_path IS NULL"),
           1, "  absent summary and log path are null");
    is_int(fx_int(fx.db, "SELECT sum(seq * total) FROM trades"), 70 * MONEY_SCALE,
           "  its trades in order");
    is_int(fx_int(fx.db, "SELECT sum(seq * fee) FROM trades"), 3000000, "  their fees");
    is_int(fx_int(fx.db, "SELECT fees FROM positions"),
           fx_int(fx.db, "SELECT sum(fee) FROM trades"), "  the day's fees, summed with it");
    is_int(fx_int(fx.db, "SELECT count(*) FROM corporate_actions WHERE action = 'split' AND"
                         " symbol = 'AAA' AND factor = '1.5000' AND shares_before = 2 AND"
                         " shares_after = 3 AND price = 10000000 AND cash = 0"),
           1, "  the split applied to its start state");
    is_int(fx_int(fx.db, "SELECT group_concat(symbol || quantity) = 'AAA3,BBB1' FROM"
                         " (SELECT * FROM holdings ORDER BY symbol)"),
           1, "  its holdings");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs WHERE tool_name IS NULL AND"
                         " tool_call_id IS NULL AND message_json IS NULL AND role = 'user'"),
           1, "  a message without tool fields stores nulls");
    is_str(
        fx_text(fx.db, "SELECT tool_call_id FROM reasoning_logs WHERE step = 1", buf, sizeof(buf)),
        "c1", "  a tool message keeps its call id");
    is_int(fx_int(fx.db, "SELECT count(*) FROM reasoning_logs WHERE (step = 1 AND completion = 1)"
                         " OR (step = 0 AND completion IS NULL)"),
           2, "  the completion of each message (unknown: null)");
    is_int(
        fx_int(fx.db, "SELECT calls * 10 + errors FROM tool_usage WHERE total_duration_ms = 1.5"),
        21, "  its tool usage");

    struct portfolio back;
    ok(daystore_holdings(fx.db, id, 7, &back, err, sizeof(err)) == 0 && back.cash == 7 &&
           back.n == 2 && portfolio_shares(&back, "AAA") == 3 &&
           portfolio_shares(&back, "BBB") == 1,
       "its holdings read back with the cash given (%s)", err);
    portfolio_free(&back);
    fx_exec(fx.db, "INSERT INTO positions(job_id,date,model,cash,portfolio_value,prev_value,"
                   "daily_profit,daily_return_pct,created_at) VALUES('j1','2025-01-02','x',0,0,0,"
                   "0,0,'t')");
    fx_exec(fx.db, "INSERT INTO holdings(position_id,symbol,quantity) SELECT id,'no good',1"
                   " FROM positions WHERE model='x'");
    ok(daystore_holdings(fx.db, fx_int(fx.db, "SELECT id FROM positions WHERE model='x'"), 0, &back,
                         err, sizeof(err)) == -1 &&
           strcmp(err, "bad stored holding") == 0,
       "a stored holding that is not a ticker is refused (%s)", err);

    ok(daystore_insert(fx.db, &day, NULL, err, sizeof(err)) == -1 &&
           strstr(err, "cannot store the position"),
       "the same model and date again is refused (%s)", err);

    const struct daystore_trade bad = {1, "buy", "AAA", 0, 10 * MONEY_SCALE, 0, 0};
    day.date = "2025-01-03";
    day.trades = &bad;
    day.ntrades = 1;
    ok(daystore_insert(fx.db, &day, NULL, err, sizeof(err)) == -1 &&
           strstr(err, "cannot store a trade"),
       "a trade the schema refuses fails (%s)", err);

    portfolio_free(&pf);
    fx_close(&fx);
    return tap_done();
}
