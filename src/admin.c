/*
 * admin.c - `onair admin <command> [settings]`: operator commands that run
 * against the data directory and exit, without starting the server.
 *
 *   onair admin check-ledger [--data DIR ...]
 *       verifies every invariant of the points ledger (store.h
 *       ledger_check); prints what it checked and any violation; exits 0
 *       when all hold, 1 on a violation, 2 on usage or database errors.
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

extern char **environ;

struct check {
    struct store_ledger_report report;
    int rc;
};

static void check_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct check *k = arg;
    k->rc = b->ledger_check(c, &k->report);
}

static int check_ledger(const struct config *cfg)
{
    struct store_options sopt = {
        .data_dir = config_str(cfg, CFG_DATA),
        .busy_timeout_ms = (int)config_int(cfg, CFG_STORE_BUSY_TIMEOUT_MS),
    };
    struct store *s = store_open(&store_sqlite_backend, &sopt, 1, 16);
    if (!s) {
        fprintf(stderr, "onair admin: cannot open the database in %s\n", sopt.data_dir);
        return 2;
    }
    struct check k = {0};
    int rc = store_run_sync(s, check_job, &k);
    store_close(s);
    if (rc || k.rc) {
        fprintf(stderr, "onair admin: the ledger could not be read: %s\n",
                onair_strerror(rc ? rc : k.rc));
        return 2;
    }
    const struct store_ledger_report *r = &k.report;
    printf("checked %lld accounts, %lld transactions, %lld approved charges, %lld donations\n",
           (long long)r->accounts, (long long)r->transactions, (long long)r->approved_charges,
           (long long)r->donations);
    if (r->ok) {
        printf("ledger ok\n");
        return 0;
    }
    printf("LEDGER VIOLATIONS:\n%s", r->problems);
    return 1;
}

int admin_main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "--help") == 0) {
        fprintf(argc < 3 ? stderr : stdout,
                "usage: onair admin check-ledger [--data DIR] [other settings]\n");
        return argc < 3 ? 2 : 0;
    }
    static struct config cfg;
    char err[1024];
    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, 3, environ, err, sizeof err) != 0) {
        fprintf(stderr, "onair admin: %s\n", err);
        return 2;
    }
    if (strcmp(argv[2], "check-ledger") == 0)
        return check_ledger(&cfg);
    fprintf(stderr, "onair admin: unknown command '%s' (known: check-ledger)\n", argv[2]);
    return 2;
}
