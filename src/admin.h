/*
 * admin.h - `onair admin ...`: operator commands that run and exit.
 */
#ifndef ONAIR_ADMIN_H
#define ONAIR_ADMIN_H

/* Runs `onair admin <command> [settings]` (argv[1] is "admin"); returns
 * the exit status: 0 ok, 1 the check failed, 2 usage or I/O error. */
int admin_main(int argc, char **argv);

#endif
