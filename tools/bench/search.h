/*
 * search.h - the chat search benchmark: `chat-seed` fills a data directory
 * with N chat messages (search_seed.c), `search` loads GET /api/search of a
 * server running on it (search.c). What the two share is here: the marker
 * words whose counts the seeder guarantees and the load tool checks, and
 * the manifest the seeder leaves next to the database.
 *
 * Markers: every marker word contains a syllable (뾰, U+BFB0) or a letter
 * (q) that nothing else the seeder writes contains, so a search for one
 * finds exactly the messages the seeder put it in: the count the manifest
 * gives, spread evenly over the log, in whatever rooms or only in the room
 * the manifest names for it. English markers are written in varying ASCII
 * case.
 *
 * The manifest (BENCH_SEED_MANIFEST in the data directory, JSON) says what
 * was seeded: {"messages","rooms","users","seed","big_room","small_room",
 * "markers":[{"text","count","room"|null}],"seconds","messages_per_s",
 * "db_bytes"}. It is written last (renamed into place), so a directory with
 * a manifest holds a complete seed.
 */
#ifndef ONAIR_BENCH_SEARCH_H
#define ONAIR_BENCH_SEARCH_H

#include <stdbool.h>

#define BENCH_SEED_MANIFEST "bench-seed.json"

/* What only marker words contain: a search for a string holding one of
 * these finds marker messages only. */
#define BENCH_SEED_RESERVED_SYLLABLE "뾰" /* U+BFB0 */
#define BENCH_SEED_RESERVED_CP 0xBFB0u
#define BENCH_SEED_RESERVED_LETTER 'q' /* in either case */

enum bench_search_scenario { BENCH_CHAT_SEED = 1, BENCH_SEARCH = 2 };

/* The options of both scenarios (each uses its own). */
struct bench_search_opts {
    /* chat-seed */
    const char *data;
    long messages, rooms, users, seed;
    /* search */
    const char *url, *queries_file, *mix, *manifest;
    long concurrency, server_pid;
    double duration;
    /* both */
    bool json, quiet;
};

/* Parses the arguments of chat-seed or search (search.c): 0, 1 when --help
 * was printed, -1 after printing a usage error. */
int bench_search_parse(enum bench_search_scenario sc, int argc, char **argv,
                       struct bench_search_opts *o);

#endif
