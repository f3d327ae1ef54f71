/* universe: see universe.h. The symbol list is AI-Trader's NASDAQ-100 set,
 * kept sorted so membership is a binary search. */
#include "universe.h"

#include <stdlib.h>
#include <string.h>

const char *const universe_nasdaq100[] = {
    "AAPL", "ABNB", "ADBE",  "ADI",   "ADP",  "ADSK", "AEP",  "AMAT", "AMD",  "AMGN", "AMZN",
    "APP",  "ARM",  "ASML",  "AVGO",  "AXON", "AZN",  "BIIB", "BKNG", "BKR",  "CCEP", "CDNS",
    "CDW",  "CEG",  "CHTR",  "CMCSA", "COST", "CPRT", "CRWD", "CSCO", "CSGP", "CSX",  "CTAS",
    "CTSH", "DASH", "DDOG",  "DXCM",  "EA",   "EXC",  "FANG", "FAST", "FTNT", "GEHC", "GFS",
    "GILD", "GOOG", "GOOGL", "HON",   "IDXX", "INTC", "INTU", "ISRG", "KDP",  "KHC",  "KLAC",
    "LIN",  "LRCX", "LULU",  "MAR",   "MCHP", "MDLZ", "MELI", "META", "MNST", "MRVL", "MSFT",
    "MSTR", "MU",   "NFLX",  "NVDA",  "NXPI", "ODFL", "ON",   "ORLY", "PANW", "PAYX", "PCAR",
    "PDD",  "PEP",  "PLTR",  "PYPL",  "QCOM", "REGN", "ROP",  "ROST", "SBUX", "SHOP", "SNPS",
    "TEAM", "TMUS", "TRI",   "TSLA",  "TTD",  "TTWO", "TXN",  "VRSK", "VRTX", "WBD",  "WDAY",
    "XEL",  "ZS",
};

_Static_assert(sizeof(universe_nasdaq100) / sizeof(universe_nasdaq100[0]) == 101,
               "AI-Trader trades 101 symbols");

const size_t universe_nasdaq100_count = sizeof(universe_nasdaq100) / sizeof(universe_nasdaq100[0]);

int symbol_valid(const char *symbol)
{
    size_t n = 0;
    if (!symbol)
        return 0;
    for (; symbol[n]; n++) {
        char c = symbol[n];
        if (n >= SYMBOL_MAX - 1)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return n > 0;
}

static int cmp_symbol(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int universe_contains(const char *symbol)
{
    if (!symbol_valid(symbol))
        return 0;
    return bsearch(symbol, universe_nasdaq100, universe_nasdaq100_count,
                   sizeof(universe_nasdaq100[0]), cmp_symbol) != NULL;
}
