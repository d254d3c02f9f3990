/*
 * ladder.h - an ABR ladder: lower renditions of a live channel made by
 * ffmpeg children.
 *
 * For each rung below the source's height (e.g. 480p and 360p under a 720p
 * source), one ffmpeg child reads the source as FLV on its stdin (we write
 * the tags the encoder sent, starting at a keyframe with the sequence
 * headers first) and publishes its rendition back into onair over loopback
 * RTMP with an internal key: "~<secret>~<rendition>~<channel>". The secret is
 * random per process and compared in constant time, so only our children
 * can publish renditions. The same segmenter and packager then serve every
 * rendition, and the master playlist lists them all.
 *
 * Supervision: a child that exits while the source is live is restarted
 * with back-off (1 s doubling to 30 s); a child that can't keep up (8 MiB of
 * unwritten input) is killed and restarted; stopping the ladder kills them
 * all. At most max_children ladder children run in the process.
 *
 * A ladder belongs to the source publisher's loop and is used only there.
 */
#ifndef ONAIR_TRANSCODE_LADDER_H
#define ONAIR_TRANSCODE_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct loop;
struct ladder;

#define LADDER_MAX_RUNGS 3

/* Parses "720p,480p:1200k,360p" (height, optional video kbit/s) and sets the
 * process-wide configuration. Empty spec: no ladder. EINVAL on a bad spec,
 * with the reason in err. */
int ladder_configure(const char *spec, const char *ffmpeg, int rtmp_port, unsigned max_children,
                     char *err, size_t errlen);
bool ladder_enabled(void);

/* Starts a ladder for channel (children spawn once the video config shows
 * the source's height). NULL when no ladder is configured. */
struct ladder *ladder_start(struct loop *l, const char *channel);
/* One RTMP audio (8) or video (9) message of the source, as received. */
void ladder_feed(struct ladder *ld, uint8_t type, uint32_t timestamp, const uint8_t *body,
                 size_t len);
/* Kills the children; frees itself when they are gone. NULL is fine. */
void ladder_stop(struct ladder *ld);

/* For RTMP publish: true if name (len bytes) is a valid internal key; then
 * channel_out (>= 32 bytes) and rendition_out (>= 16 bytes) are filled. */
bool ladder_key_check(const char *name, size_t len, char *channel_out, char *rendition_out);

/* /metrics */
void ladder_metrics(struct buf *out, void *arg);

#endif
