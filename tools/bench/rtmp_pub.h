/*
 * rtmp_pub.h - one RTMP publisher that behaves like OBS Studio 29 and loops
 * a pre-encoded clip at real-time pace.
 *
 * Session (docs: shared/reference/obs-rtmp.md): plain handshake (C0+C1, then
 * C2); Set Chunk Size 4096 and connect in one write; releaseStream,
 * FCPublish, createStream without waiting for the first two; publish on
 * chunk stream 4; wait for NetStream.Publish.Start; @setDataFrame onMetaData
 * (when the clip has metadata); the sequence headers once; then the clip's
 * tags in a loop, audio and video interleaved on chunk stream 4 with fmt 1/2
 * headers (deltas from the previous message of either type). Each loop adds
 * the clip's duration to the timestamps so they keep increasing. On stop:
 * FCUnpublish and deleteStream, then close.
 *
 * Pacing: a tag is sent when the wall clock reaches its media time (relative
 * to the first tag). When the socket does not drain (more than
 * BENCH_PUB_MAX_QUEUE bytes waiting), video is dropped until the next key
 * frame once it drains, as OBS does under congestion; drops are counted.
 *
 * Ownership: the caller allocates the struct (it embeds handles), fills the
 * inputs and calls bench_pub_start; after bench_pub_stop the struct must
 * stay alive until `closed` is true (the close callbacks have run). The clip
 * and strings are borrowed for the publisher's whole life.
 *
 * Threading: the loop's thread only.
 */
#ifndef ONAIR_BENCH_RTMP_PUB_H
#define ONAIR_BENCH_RTMP_PUB_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bench.h"
#include "clip.h"
#include "core/buf.h"
#include "timeline.h"

#define BENCH_PUB_MAX_QUEUE (4u * 1024 * 1024)

enum bench_pub_state {
    BENCH_PUB_IDLE,
    BENCH_PUB_CONNECTING,
    BENCH_PUB_HANDSHAKE,
    BENCH_PUB_COMMANDS, /* connect .. publish, waiting for Publish.Start */
    BENCH_PUB_LIVE,
    BENCH_PUB_REFUSED,      /* the server said no (status or _error), or closed before live */
    BENCH_PUB_DISCONNECTED, /* lost after going live */
    BENCH_PUB_STOPPED,      /* stopped by us */
};

struct rtmp_chunk_reader;
struct amf0_decoder;

struct bench_pub {
    /* Inputs. */
    uv_loop_t *loop;
    const struct bench_url *url; /* rtmp://host:port/app */
    const char *key;             /* the stream key (also the stream name) */
    const struct bench_clip *clip;

    /* Results (read them any time on the loop's thread). */
    enum bench_pub_state state;
    char error[96];           /* why it was refused or lost, when it was */
    uint64_t bytes_sent;      /* everything written to the socket, handshake included */
    uint64_t media_bytes;     /* audio/video message bodies sent */
    uint64_t video_frames;    /* video frames sent (sequence headers not counted) */
    uint64_t dropped_frames;  /* video frames skipped under congestion */
    int64_t connect_us;       /* when the TCP connect started */
    int64_t publish_start_us; /* latency: connect start -> Publish.Start; -1 until then */
    struct bench_timeline timeline;
    bool closed; /* every handle closed: the struct may be freed */

    /* Private. */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_timer_t timer;
    int open_handles;
    uint8_t hs[1 + 2 * 1536];
    size_t hs_len;
    struct rtmp_chunk_reader *reader;
    struct amf0_decoder *amf;
    uint32_t stream_id;
    /* Media cursor: tag index in the clip and loop count. */
    size_t next_tag;
    uint32_t loop_no;
    int64_t media_start_us; /* wall time of media ts 0 */
    bool congested;
    /* Header state of chunk stream 4 for fmt 1/2 headers. */
    bool cs4_valid;
    uint32_t cs4_ts, cs4_len, cs4_stream;
    uint8_t cs4_type;
};

/* Connects and runs the session. Returns 0, or a negative libuv error (the
 * state is then REFUSED with the reason). */
int bench_pub_start(struct bench_pub *p);

/* Says goodbye (FCUnpublish, deleteStream) if live, then closes. */
void bench_pub_stop(struct bench_pub *p);

#endif
