/*
 * noise.c - a stand-in for a noisy neighbour: burns BUSY_US of every
 * PERIOD_US on one core for SECONDS, then exits. Used to check that a
 * benchmark's result holds when the machine is not quiet (docs/BENCHMARKS.md).
 *
 *   cc -O2 bench/lib/noise.c -o /tmp/noise && /tmp/noise 5000 20000 30
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    long busy = argc == 4 ? atol(argv[1]) : 0, period = argc == 4 ? atol(argv[2]) : 0;
    long long seconds = argc == 4 ? atoll(argv[3]) : 0;
    if (busy <= 0 || period <= busy || seconds <= 0 || seconds > 3600) {
        fprintf(stderr,
                "usage: noise BUSY_US PERIOD_US SECONDS (0 < BUSY < PERIOD, SECONDS <= 3600)\n");
        return 2;
    }
    long long end = now_us() + seconds * 1000000LL;
    while (now_us() < end) {
        long long until = now_us() + busy;
        while (now_us() < until)
            ; /* the burn */
        usleep((useconds_t)(period - busy));
    }
    return 0;
}
