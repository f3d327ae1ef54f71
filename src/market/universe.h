/* universe: ticker syntax and the default trading universe (AI-Trader's 101
 * NASDAQ-100 symbols, GOOG and GOOGL both) plus the QQQ benchmark. */
#ifndef TRADER_UNIVERSE_H
#define TRADER_UNIVERSE_H

#include <stdbool.h>
#include <stddef.h>

#define SYMBOL_MAX 16 /* longest accepted ticker + NUL */
#define UNIVERSE_BENCHMARK "QQQ"

/* True for 1-15 characters of A-Z, 0-9, '.', '-' (BRK.B, BF-B). */
bool symbol_valid(const char *symbol);

/* The default universe in AI-Trader's DEFAULT_STOCK_SYMBOLS order (the key
 * order of its position lines), and its size. */
extern const char *const universe_aitrader_order[];
extern const size_t universe_nasdaq100_count;

/* The same symbols ascending (an array of universe_nasdaq100_count; static,
 * safe from any thread). */
const char *const *universe_nasdaq100(void);

/* True when symbol is in the default universe. */
bool universe_contains(const char *symbol);

#endif
