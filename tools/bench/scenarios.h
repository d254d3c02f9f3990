/*
 * scenarios.h - the subcommands of onair-bench. Each takes the arguments
 * after its name (argv[0] is the scenario's name), prints its own --help,
 * and returns the process exit status (0 ran, 1 could not run, 2 usage).
 * Video: publish, hls-view, video (both in one process, with delays).
 * Chat: chat-connect, chat-fanout, chat-recover (chat.c), against onair's
 * /ws or a Socket.IO v4 server.
 * Search: chat-seed (search_seed.c) fills a data directory with chat
 * messages; search (search.c) loads GET /api/search on it.
 * Wallet: donate (donate.c), donation storms with exact totals.
 */
#ifndef ONAIR_BENCH_SCENARIOS_H
#define ONAIR_BENCH_SCENARIOS_H

int bench_scenario_publish(int argc, char **argv);
int bench_scenario_hls_view(int argc, char **argv);
int bench_scenario_video(int argc, char **argv);
int bench_scenario_chat_connect(int argc, char **argv);
int bench_scenario_chat_fanout(int argc, char **argv);
int bench_scenario_chat_recover(int argc, char **argv);
int bench_scenario_chat_seed(int argc, char **argv);
int bench_scenario_search(int argc, char **argv);
int bench_scenario_donate(int argc, char **argv);

#endif
