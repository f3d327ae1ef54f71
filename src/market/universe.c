/* universe: see universe.h. The symbols are written once, in AI-Trader's
 * order; the ascending view is sorted from it on first use, so membership is
 * a binary search. */
#include "market/universe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* AI-Trader's DEFAULT_STOCK_SYMBOLS in its order: the one list of the
 * default universe. */
const char *const universe_aitrader_order[] = {
    "NVDA", "MSFT", "AAPL", "GOOG", "GOOGL", "AMZN", "META", "AVGO", "TSLA", "NFLX", "PLTR",
    "COST", "ASML", "AMD",  "CSCO", "AZN",   "TMUS", "MU",   "LIN",  "PEP",  "SHOP", "APP",
    "INTU", "AMAT", "LRCX", "PDD",  "QCOM",  "ARM",  "INTC", "BKNG", "AMGN", "TXN",  "ISRG",
    "GILD", "KLAC", "PANW", "ADBE", "HON",   "CRWD", "CEG",  "ADI",  "ADP",  "DASH", "CMCSA",
    "VRTX", "MELI", "SBUX", "CDNS", "ORLY",  "SNPS", "MSTR", "MDLZ", "ABNB", "MRVL", "CTAS",
    "TRI",  "MAR",  "MNST", "CSX",  "ADSK",  "PYPL", "FTNT", "AEP",  "WDAY", "REGN", "ROP",
    "NXPI", "DDOG", "AXON", "ROST", "IDXX",  "EA",   "PCAR", "FAST", "EXC",  "TTWO", "XEL",
    "ZS",   "PAYX", "WBD",  "BKR",  "CPRT",  "CCEP", "FANG", "TEAM", "CHTR", "KDP",  "MCHP",
    "GEHC", "VRSK", "CTSH", "CSGP", "KHC",   "ODFL", "DXCM", "TTD",  "ON",   "BIIB", "LULU",
    "CDW",  "GFS",
};

#define NSYMBOLS (sizeof(universe_aitrader_order) / sizeof(universe_aitrader_order[0]))
_Static_assert(NSYMBOLS == 101, "AI-Trader trades 101 symbols");

const size_t universe_nasdaq100_count = NSYMBOLS;

static const char *sorted[NSYMBOLS];
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_once(void)
{
    memcpy(sorted, universe_aitrader_order, sizeof(sorted));
    qsort(sorted, NSYMBOLS, sizeof(sorted[0]), cmp_entries);
}

const char *const *universe_nasdaq100(void)
{
    pthread_once(&sorted_once, sort_once);
    return sorted;
}

bool symbol_valid(const char *symbol)
{
    size_t n = 0;
    if (!symbol)
        return false;
    for (; symbol[n]; n++) {
        char c = symbol[n];
        if (n >= SYMBOL_MAX - 1)
            return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return n > 0;
}

static int cmp_symbol(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool universe_contains(const char *symbol)
{
    if (!symbol_valid(symbol))
        return false;
    return bsearch(symbol, universe_nasdaq100(), NSYMBOLS, sizeof(sorted[0]), cmp_symbol) != NULL;
}
