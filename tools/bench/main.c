/*
 * main.c - onair-bench: picks the scenario and hands it the arguments.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "scenarios.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} scenarios[] = {
    {"publish", bench_scenario_publish,
     "N RTMP publishers looping an FLV clip at real-time pace, like OBS"},
    {"hls-view", bench_scenario_hls_view,
     "N viewers per channel following HLS playlists like hls.js (LL or plain)"},
    {"video", bench_scenario_video,
     "publish + hls-view in one process: adds live-edge delay and time to first playlist"},
    {"chat-connect", bench_scenario_chat_connect,
     "hold N chat WebSocket connections (rate or spike; several source addresses and workers)"},
    {"chat-fanout", bench_scenario_chat_fanout,
     "R rooms x S subscribers, P publishers at M messages/s: deliveries/s, loss, latency"},
    {"chat-recover", bench_scenario_chat_recover,
     "subscribers drop and rejoin (since / state recovery) while messages flow: zero loss?"},
    {"chat-seed", bench_scenario_chat_seed,
     "fill a data directory with N chat messages (Korean and English) for the search bench"},
    {"search", bench_scenario_search,
     "GET /api/search from C clients over a query mix: latency per class, checked answers"},
    {"donate", bench_scenario_donate,
     "N donations from U users to S streamers over C connections: donations/s, exact totals"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: onair-bench <scenario> [options]   (onair-bench <scenario> --help)\n\n"
               "Load generator for onair. Loopback targets only; every run is bounded by\n"
               "--duration; a progress line every second on stderr; --json prints a summary\n"
               "on stdout.\n\nscenarios:\n");
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        fprintf(f, "  %-13s %s\n", scenarios[i].name, scenarios[i].summary);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        if (strcmp(argv[1], scenarios[i].name) == 0)
            return scenarios[i].run(argc - 1, argv + 1);
    fprintf(stderr, "onair-bench: unknown scenario '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
