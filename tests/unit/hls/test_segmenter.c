/*
 * Unit tests for src/hls/segmenter.c, stream.c and playlist.c: frames in,
 * parts/segments/playlists out, with the window, resume and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "hls/playlist.h"
#include "hls/segmenter.h"
#include "hls/stream.h"

/* High@3.1 1280x720 avcC as OBS and ffmpeg send it. */
static const uint8_t avcc[] = {
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50,
    0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83,
    0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};
static const uint8_t asc[] = {0x11, 0x90}; /* AAC-LC 48 kHz stereo */
static const uint8_t idr[] = {0, 0, 0, 5, 0x65, 1, 2, 3, 4};
static const uint8_t pslice[] = {0, 0, 0, 5, 0x41, 1, 2, 3, 4};
static const uint8_t aac_frame[] = {0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c, 1, 2};

static const struct hls_stream_options opts = {
    .part_target = 0.334, .segment_target = 1.0, .window = 3};

static int setup(void **state)
{
    hls_registry_init(NULL, NULL); /* no loops: nothing to wake */
    (void)state;
    return 0;
}

/* Feeds `seconds` of 30 fps video (keyframe every 30 frames, ms timestamps
 * rounded like an encoder's) and 48 kHz AAC, starting at media time t0_ms. */
static void feed(struct hls_segmenter *g, int64_t t0_ms, int seconds, bool audio)
{
    int frames = seconds * 30;
    int64_t next_audio = 0;
    for (int i = 0; i < frames; i++) {
        int64_t t = i * 1000 / 30;
        while (audio && next_audio * 1024 * 1000 / 48000 <= t) {
            assert_int_equal(hls_segmenter_audio(g, t0_ms + next_audio * 1024 * 1000 / 48000,
                                                 aac_frame, sizeof aac_frame, 1000 + t),
                             0);
            next_audio++;
        }
        bool key = i % 30 == 0;
        assert_int_equal(
            hls_segmenter_video(g, t0_ms + t, 67, key, key ? idr : pslice, sizeof idr, 1000 + t),
            0);
    }
}

static struct hls_stream *claim(const char *name, bool *resumed)
{
    struct hls_stream *s;
    assert_int_equal(hls_registry_claim(name, 1, &opts, &s, resumed), 0);
    return s;
}

/* The publisher left long ago: the stream ends and our reference goes. */
static void end_stream(struct hls_stream *s)
{
    hls_stream_pause(s, 0);
    assert_true(hls_registry_expire(s, 100000, 10));
    hls_stream_unref(s);
}

/* A new stream with a segmenter that has its video config. */
static struct hls_segmenter *start_video(const char *name, struct hls_stream **s)
{
    bool resumed;
    *s = claim(name, &resumed);
    assert_false(resumed);
    struct hls_segmenter *g = hls_segmenter_new(*s, "src", false);
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    return g;
}

static void test_parts_and_segments(void **state)
{
    (void)state;
    bool resumed;
    struct hls_stream *s = claim("seg1", &resumed);
    assert_false(resumed);
    struct hls_segmenter *g = hls_segmenter_new(s, "src", false);
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    assert_int_equal(hls_segmenter_audio_config(g, asc, sizeof asc), 0);
    /* Frames before the first keyframe can't be decoded: dropped. */
    assert_int_equal(hls_segmenter_video(g, 0, 0, false, pslice, sizeof pslice, 1), 0);
    feed(g, 100, 5, true);

    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    assert_non_null(r->init);
    assert_string_equal(r->codecs, "avc1.64001F,mp4a.40.2");
    assert_int_equal(r->width, 1280);
    assert_int_equal(r->height, 720);
    /* 5 s of 1 s GOPs: four complete segments and one in progress. */
    assert_int_equal(r->count, 5);
    for (unsigned i = 0; i + 1 < r->count; i++) {
        struct hls_segment *seg = hls_rendition_at(r, i);
        assert_true(seg->complete);
        assert_int_equal(seg->msn, i);
        assert_true(seg->duration > 0.99 && seg->duration < 1.01);
        assert_true(seg->parts[0].independent);
        for (unsigned p = 0; p < seg->nparts; p++) {
            assert_true(seg->parts[p].duration <= opts.part_target + 1e-9);
            if (p + 1 < seg->nparts) /* all but the last: >= 85% of the target */
                assert_true(seg->parts[p].duration >= 0.85 * opts.part_target);
            if (p > 0)
                assert_false(seg->parts[p].independent);
        }
    }
    pthread_mutex_unlock(&s->lock);
    hls_segmenter_free(g);
    end_stream(s);
}

static void test_playlist_window_and_retired(void **state)
{
    (void)state;
    struct hls_stream *s;
    struct hls_segmenter *g = start_video("seg2", &s);
    feed(g, 0, 12, false);

    struct buf out;
    buf_init(&out, 0);
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    hls_playlist_media(&out, s, r, false);
    /* Window 3: the playlist lists segments 8, 9, 10 and the one in progress. */
    assert_non_null(strstr(out.data, "#EXT-X-MEDIA-SEQUENCE:8\n"));
    assert_null(strstr(out.data, "_7.m4s"));
    assert_non_null(strstr(out.data, "_10.m4s"));
    assert_non_null(strstr(out.data, "#EXT-X-PART-INF:PART-TARGET=0.334"));
    assert_non_null(strstr(out.data, "CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002"));
    assert_non_null(strstr(out.data, "#EXT-X-PRELOAD-HINT:TYPE=PART"));
    assert_non_null(strstr(out.data, ",INDEPENDENT=YES"));
    /* ...but segment 7 is still kept: it just left the playlist. */
    struct hls_segment *old = hls_rendition_find(r, 7);
    assert_non_null(old);
    assert_true(old->complete);
    /* and far older ones are gone */
    assert_null(hls_rendition_find(r, 0));
    pthread_mutex_unlock(&s->lock);

    buf_reset(&out);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(hls_playlist_master(&out, s), 1);
    pthread_mutex_unlock(&s->lock);
    assert_non_null(strstr(out.data, "RESOLUTION=1280x720,CODECS=\"avc1.64001F\"\nsrc/index.m3u8"));

    buf_free(&out);
    hls_segmenter_free(g);
    end_stream(s);
}

static void test_resume_discontinuity(void **state)
{
    (void)state;
    bool resumed;
    struct hls_stream *s = claim("seg3", &resumed);
    struct hls_segmenter *g = hls_segmenter_new(s, "src", false);
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    feed(g, 0, 2, false);
    hls_segmenter_free(g);
    hls_stream_pause(s, 1000);

    /* A second publisher while the first is live is refused... */
    struct hls_stream *s2;
    /* ...but the stream is paused now, so the next one resumes it. */
    assert_false(hls_registry_expire(s, 1500, 10000)); /* within grace: stays */
    assert_int_equal(hls_registry_claim("seg3", 1, &opts, &s2, &resumed), 0);
    assert_true(resumed);
    assert_ptr_equal(s, s2);
    hls_stream_unref(s2); /* the claim's reference; s still holds ours */
    assert_int_equal(hls_registry_claim("seg3", 1, &opts, &s2, &resumed), ONAIR_ECONFLICT);

    pthread_mutex_lock(&s->lock);
    uint64_t end_before = s->rend[0].timeline_end_ms;
    uint64_t next_msn = s->rend[0].next_msn;
    pthread_mutex_unlock(&s->lock);
    assert_true(end_before >= 1900);

    g = hls_segmenter_new(s, "src", true);
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    feed(g, 555000, 2, false); /* a new encoder, a new clock */

    struct buf out;
    buf_init(&out, 0);
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    struct hls_segment *first_new = hls_rendition_find(r, next_msn);
    assert_non_null(first_new);
    assert_true(first_new->discontinuity);
    assert_int_equal(first_new->init_version, 2);
    /* The timeline continues instead of jumping to the encoder's clock. */
    assert_true(r->timeline_end_ms > end_before && r->timeline_end_ms < end_before + 2100);
    hls_playlist_media(&out, s, r, false);
    pthread_mutex_unlock(&s->lock);
    assert_non_null(strstr(out.data, "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="));
    assert_non_null(strstr(out.data, "_init1.mp4"));
    assert_non_null(strstr(out.data, "_init2.mp4"));
    pthread_mutex_lock(&s->lock);
    assert_non_null(hls_rendition_init(r, 1)); /* still needed by listed segments */
    assert_non_null(hls_rendition_init(r, 2));
    pthread_mutex_unlock(&s->lock);
    buf_free(&out);

    hls_segmenter_free(g);
    hls_stream_pause(s, 2000);
    assert_true(hls_registry_expire(s, 20000, 10000));
    assert_null(hls_registry_get("seg3"));
    hls_stream_unref(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    bool resumed;
    struct hls_stream *s = claim("seg4", &resumed);
    struct hls_segmenter *g = hls_segmenter_new(s, "src", false);
    static const uint8_t junk[] = {1, 2, 3};
    assert_int_not_equal(hls_segmenter_video_config(g, junk, sizeof junk), 0);
    assert_int_not_equal(hls_segmenter_audio_config(g, junk, 1), 0);
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    /* NAL lengths that don't tile the frame */
    static const uint8_t bad_nal[] = {0, 0, 0, 50, 0x65, 1};
    assert_int_equal(hls_segmenter_video(g, 0, 0, true, bad_nal, sizeof bad_nal, 0), ONAIR_EPROTO);
    feed(g, 0, 1, false);
    /* The same config again is fine; another one mid-stream is not. */
    assert_int_equal(hls_segmenter_video_config(g, avcc, sizeof avcc), 0);
    uint8_t other[sizeof avcc];
    memcpy(other, avcc, sizeof avcc);
    other[sizeof avcc - 1] ^= 1;
    assert_int_equal(hls_segmenter_video_config(g, other, sizeof other), ONAIR_EINVAL);
    hls_segmenter_free(g);
    end_stream(s);
}

static void test_audio_only(void **state)
{
    (void)state;
    bool resumed;
    struct hls_stream *s = claim("seg5", &resumed);
    struct hls_segmenter *g = hls_segmenter_new(s, "src", false);
    assert_int_equal(hls_segmenter_audio_config(g, asc, sizeof asc), 0);
    for (int i = 0; i < 48000 * 4 / 1024; i++)
        assert_int_equal(hls_segmenter_audio(g, (int64_t)i * 1024 * 1000 / 48000, aac_frame,
                                             sizeof aac_frame, i),
                         0);
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    assert_non_null(r->init);
    assert_string_equal(r->codecs, "mp4a.40.2");
    assert_true(r->count >= 2); /* started after 1 s, cut every ~1 s */
    struct hls_segment *seg = hls_rendition_at(r, 0);
    assert_true(seg->complete);
    for (unsigned p = 0; p < seg->nparts; p++)
        assert_true(seg->parts[p].duration <= opts.part_target + 1e-9);
    pthread_mutex_unlock(&s->lock);
    hls_segmenter_free(g);
    end_stream(s);
}

/* ---- part bytes ---- */

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A video frame whose payload says which frame it is: one NAL unit of
 * 5 + i % 700 bytes (so sizes vary), filled from i. */
static size_t make_frame(uint8_t *out, int i, bool key)
{
    size_t nal = 5 + (size_t)(i % 700);
    out[0] = 0;
    out[1] = 0;
    out[2] = (uint8_t)(nal >> 8);
    out[3] = (uint8_t)nal;
    out[4] = key ? 0x65 : 0x41;
    for (size_t k = 1; k < nal; k++)
        out[4 + k] = (uint8_t)(i * 7 + (int)k);
    return 4 + nal;
}

struct seen {
    int video, audio; /* frames found so far, in order */
};

/* Walks one part (moof + mdat) and checks that its samples are the next
 * frames fed, video then audio, each run's data where its trun says. */
static void check_part(const struct bytes *b, struct seen *seen)
{
    const uint8_t *p = b->data;
    assert_true(b->len > 16);
    uint32_t moof = rd32(p);
    assert_memory_equal(p + 4, "moof", 4);
    assert_true(moof + 8 <= b->len);
    assert_memory_equal(p + moof + 4, "mdat", 4);
    assert_int_equal(rd32(p + moof), b->len - moof); /* mdat runs to the end */
    const uint8_t *next = p + moof + 8;
    for (uint32_t off = 8 + 16; off < moof;) { /* the trafs, after mfhd */
        uint32_t traf = rd32(p + off);
        assert_memory_equal(p + off + 4, "traf", 4);
        uint32_t track = rd32(p + off + 8 + 12);
        const uint8_t *trun = p + off + 8 + 16 + 20;
        assert_memory_equal(trun + 4, "trun", 4);
        bool cts = (rd32(trun + 8) & 0x800) != 0;
        uint32_t count = rd32(trun + 12);
        const uint8_t *data = p + rd32(trun + 16);
        assert_ptr_equal(data, next); /* contiguous, in run order */
        const uint8_t *e = trun + 20;
        for (uint32_t k = 0; k < count; k++, e += cts ? 16 : 12) {
            uint32_t size = rd32(e + 4);
            if (track == 1) {
                uint8_t want[800];
                int i = seen->video++;
                assert_int_equal(size, make_frame(want, i, false));
                assert_memory_equal(data + 5, want + 5, size - 5);
            } else {
                assert_int_equal(size, sizeof aac_frame);
                assert_memory_equal(data, aac_frame, size);
                seen->audio++;
            }
            data += size;
        }
        next = data;
        off += traf;
    }
    assert_ptr_equal(next, p + b->len);
}

/* Every part of every kept segment, oldest first. */
static struct seen check_parts(struct hls_stream *s)
{
    struct seen seen = {0};
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    for (unsigned i = 0; i < r->count; i++) {
        struct hls_segment *seg = hls_rendition_at(r, i);
        for (unsigned p = 0; p < seg->nparts; p++) {
            check_part(seg->parts[p].bytes, &seen);
            assert_true(seg->parts[p].duration <= opts.part_target + 0.0005 + 1e-9);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return seen;
}

/* Parts are whole fragments holding exactly the frames fed, in order, and
 * stay within the part target even when frame intervals jitter (a frame
 * longer than the one before it moves to the next part). */
static void test_part_bytes_and_jitter(void **state)
{
    (void)state;
    struct hls_stream *s;
    struct hls_segmenter *g = start_video("seg6", &s);
    assert_int_equal(hls_segmenter_audio_config(g, asc, sizeof asc), 0);
    uint8_t frame[800];
    int64_t t = 0, next_audio = 0;
    int frames = 200, audio = 0;
    unsigned seed = 7;
    for (int i = 0; i < frames; i++) {
        bool key = i % 40 == 0;
        size_t n = make_frame(frame, i, key);
        assert_int_equal(hls_segmenter_video(g, t, 0, key, frame, n, t), 0);
        /* (audio after the video of the same time: before the first video
         * frame there is no segment to put it in) */
        while (next_audio * 1024 * 1000 / 48000 <= t) {
            assert_int_equal(hls_segmenter_audio(g, next_audio * 1024 * 1000 / 48000, aac_frame,
                                                 sizeof aac_frame, t),
                             0);
            next_audio++;
            audio++;
        }
        seed = seed * 1103515245 + 12345;
        t += 15 + (seed >> 16) % 50; /* 15..64 ms between frames */
    }
    hls_segmenter_free(g); /* publishes the last part */
    struct seen seen = check_parts(s);
    assert_int_equal(seen.video, frames);
    assert_int_equal(seen.audio, audio);
    end_stream(s);
}

/* A part is published when the frame that follows its last one arrives,
 * not one frame later. */
static void test_part_ready_at_next_frame(void **state)
{
    (void)state;
    struct hls_stream *s;
    struct hls_segmenter *g = start_video("seg7", &s);
    uint8_t frame[800];
    /* Frames every 33 ms: ten make 330 ms; an eleventh would pass 334. */
    for (int i = 0; i <= 10; i++) {
        size_t n = make_frame(frame, i, i == 0);
        assert_int_equal(hls_segmenter_video(g, i * 33, 0, i == 0, frame, n, i * 33), 0);
        pthread_mutex_lock(&s->lock);
        struct hls_segment *seg = hls_rendition_current(&s->rend[0]);
        unsigned nparts = seg->nparts;
        double dur = nparts ? seg->parts[0].duration : 0;
        pthread_mutex_unlock(&s->lock);
        assert_int_equal(nparts, i < 10 ? 0 : 1);
        if (nparts)
            assert_true(dur > 0.329 && dur < 0.331);
    }
    hls_segmenter_free(g);
    struct seen seen = check_parts(s);
    assert_int_equal(seen.video, 11);
    end_stream(s);
}

/* Without keyframes a segment is still cut before it outgrows the parts
 * one response can carry. */
static void test_long_gop_cut_by_parts(void **state)
{
    (void)state;
    struct hls_stream *s;
    struct hls_segmenter *g = start_video("seg8", &s);
    uint8_t frame[800];
    int frames = 30 * 30; /* 30 s, one keyframe */
    for (int i = 0; i < frames; i++) {
        size_t n = make_frame(frame, i, i == 0);
        assert_int_equal(hls_segmenter_video(g, i * 1000 / 30, 0, i == 0, frame, n, i), 0);
    }
    hls_segmenter_free(g);
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    assert_true(r->count >= 2);
    for (unsigned i = 0; i < r->count; i++)
        assert_true(hls_rendition_at(r, i)->nparts <= HLS_MAX_PARTS);
    assert_int_equal(hls_rendition_at(r, 0)->nparts, HLS_MAX_PARTS);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(check_parts(s).video, frames);
    end_stream(s);
}

/* The registry finds every channel among many, and forgets exactly the
 * ones that end (in any order), so their names can go live again. */
static void test_registry_many(void **state)
{
    (void)state;
    enum { N = 300 };
    struct hls_stream *all[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        bool resumed;
        snprintf(name, sizeof name, "many%d", i);
        all[i] = claim(name, &resumed);
        assert_false(resumed);
    }
    for (int i = 0; i < N; i += 3) { /* every third ends, from the middle out */
        int k = (i + N / 2) % N;
        k -= k % 3;
        if (!all[k])
            continue;
        end_stream(all[k]);
        all[k] = NULL;
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "many%d", i);
        struct hls_stream *s = hls_registry_get(name);
        assert_ptr_equal(s, all[i]);
        hls_stream_unref(s);
        if (!all[i]) { /* the name is free again */
            bool resumed;
            struct hls_stream *again = claim(name, &resumed);
            assert_false(resumed);
            end_stream(again);
        }
    }
    assert_null(hls_registry_get("many"));
    for (int i = 0; i < N; i++)
        if (all[i])
            end_stream(all[i]);
    assert_null(hls_registry_get("many1"));
}

/* Published parts so far, over every kept segment. */
static unsigned parts_so_far(struct hls_stream *s)
{
    unsigned n = 0;
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[0];
    for (unsigned i = 0; i < r->count; i++)
        n += hls_rendition_at(r, i)->nparts;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* frames_ahead never promises quiet that isn't there: after it says n, the
 * next n frames publish nothing (parts and keyframe segment cuts alike),
 * and it does say more than 0 in the middle of a part. */
static void test_frames_ahead(void **state)
{
    (void)state;
    struct hls_stream *s;
    struct hls_segmenter *g = start_video("seg9", &s);
    assert_int_equal(hls_segmenter_frames_ahead(g), 0); /* nothing yet */
    uint8_t frame[800];
    enum { N = 300 };
    unsigned ahead[N], parts[N], most = 0;
    for (int i = 0; i < N; i++) {
        bool key = i % 30 == 0; /* 1 s GOPs = the segment target */
        size_t n = make_frame(frame, i, key);
        assert_int_equal(hls_segmenter_video(g, i * 1000 / 30, 0, key, frame, n, i), 0);
        ahead[i] = hls_segmenter_frames_ahead(g);
        parts[i] = parts_so_far(s);
        most = ahead[i] > most ? ahead[i] : most;
    }
    for (int i = 0; i < N; i++)
        if (i + (int)ahead[i] < N)
            assert_int_equal(parts[i + ahead[i]], parts[i]);
    assert_true(most >= 5); /* ten 33 ms frames per 334 ms part */
    hls_segmenter_free(g);
    end_stream(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_and_segments),
        cmocka_unit_test(test_playlist_window_and_retired),
        cmocka_unit_test(test_resume_discontinuity),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_audio_only),
        cmocka_unit_test(test_part_bytes_and_jitter),
        cmocka_unit_test(test_part_ready_at_next_frame),
        cmocka_unit_test(test_long_gop_cut_by_parts),
        cmocka_unit_test(test_registry_many),
        cmocka_unit_test(test_frames_ahead),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
