/*
 * fmp4.h - fragmented MP4 (CMAF) writer for LL-HLS: one init segment per
 * stream configuration, then one self-contained fragment (moof + mdat) per
 * LL-HLS part. A media segment is the concatenation of its parts' fragments.
 *
 * Boxes follow ISO/IEC 14496-12 (ISOBMFF), 14496-14 (esds) and 14496-15
 * (avcC). Video is H.264 in track 1 with a 90 kHz timescale; audio is AAC in
 * track 2 with its sample rate as the timescale.
 *
 * Ownership: every function borrows its inputs (codec configs, sample bytes)
 * only for the call and appends its output to a caller-owned struct buf; the
 * output copies everything it needs. Nothing here does I/O, allocates beyond
 * the buf, or keeps state, so any thread may call it on its own buf.
 *
 * Errors: 0, or ONAIR_EINVAL for inputs outside the contract below (checked
 * before anything is written), or ONAIR_ETOOBIG when out has a limit that the
 * output would pass. On any error out is left exactly as it was (same len),
 * so a half-written box never reaches a player. Use limit 0 for out: this is
 * our own output.
 */
#ifndef ONAIR_HLS_FMP4_H
#define ONAIR_HLS_FMP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define FMP4_VIDEO_TRACK 1
#define FMP4_AUDIO_TRACK 2
#define FMP4_VIDEO_TIMESCALE 90000

/* Longest string fmp4_codecs_string may write, NUL included
 * ("avc1.xxxxxx,mp4a.40.xx" plus headroom). */
#define FMP4_CODECS_MAX 32

struct fmp4_video {         /* H.264 */
    uint32_t width, height; /* display size in pixels, 1..65535 each */
    /* The AVCDecoderConfigurationRecord as received (the FLV AVC sequence
     * header body); goes into avcC verbatim. At least 7 bytes, first byte 1. */
    const uint8_t *avcc;
    size_t avcc_len;
};

struct fmp4_audio {       /* AAC */
    uint32_t sample_rate; /* also the track timescale; 1..UINT32_MAX */
    uint8_t channels;     /* 1.. */
    /* AudioSpecificConfig (the FLV AAC sequence header body); goes into the
     * esds DecoderSpecificInfo verbatim. 2..65535 bytes. */
    const uint8_t *asc;
    size_t asc_len;
};

/*
 * Appends an init segment: ftyp (major 'iso6'; compatible iso6, cmfc, mp41)
 * and moov (mvhd; one trak per present track with tkhd, mdia/mdhd/hdlr,
 * minf with vmhd or smhd, dinf/dref, and stbl whose stsd holds avc1+avcC or
 * mp4a+esds and whose stts/stsc/stsz/stco are empty; mvex with one trex per
 * track). video or audio may be NULL, not both.
 * Returns 0, ONAIR_EINVAL (see the struct comments), or ONAIR_ETOOBIG.
 */
int fmp4_init_write(struct buf *out, const struct fmp4_video *video,
                    const struct fmp4_audio *audio);

struct fmp4_sample {
    uint32_t duration;  /* in the track timescale */
    uint32_t size;      /* bytes of data */
    int32_t cts_offset; /* composition minus decode time (video; 0 for audio);
                           any negative value in a run makes its trun version 1 */
    /* Sync sample: sample_depends_on=2, non-sync flag clear. Otherwise
     * sample_depends_on=1 and sample_is_non_sync_sample set. Audio: true. */
    bool keyframe;
    /* video: AVCC length-prefixed NAL units exactly as in the FLV payload;
     * audio: one raw AAC frame. May be NULL only when size is 0. */
    const uint8_t *data;
};

struct fmp4_track_run {
    uint32_t track_id;         /* FMP4_VIDEO_TRACK or FMP4_AUDIO_TRACK (any nonzero id works) */
    uint64_t base_decode_time; /* tfdt (version 1), in the track timescale */
    const struct fmp4_sample *samples;
    size_t count; /* may be 0: that track is left out of this fragment */
};

/*
 * Appends one fragment: moof (mfhd with sequence_number; one traf per run
 * with count > 0, in run order: tfhd with default-base-is-moof, tfdt, trun
 * with a data offset and per-sample duration, size, flags and, when any is
 * nonzero, composition offset) and then one mdat holding every run's sample
 * data in run order. Each trun's data offset counts from the first byte of
 * its moof, so the fragment stays valid wherever it is appended and when
 * fragments are concatenated into a segment. sequence_number should start at
 * 1 and increase by one per fragment across the whole stream.
 *
 * Returns 0, or ONAIR_EINVAL when there is no non-empty run, a non-empty
 * run has a zero track_id, NULL samples or the same track_id as another
 * non-empty run, a sample has size > 0 and NULL data, or the fragment would
 * pass 2 GiB; or ONAIR_ETOOBIG from a limited out.
 */
int fmp4_fragment_write(struct buf *out, uint32_t sequence_number,
                        const struct fmp4_track_run *runs, size_t nruns);

/*
 * The first part of the same fragment, for a writer that already holds the
 * sample data in one place: appends the moof and the 8-byte mdat header
 * (whose size counts the data), exactly the bytes fmp4_fragment_write puts
 * before the first sample. The caller completes the fragment by placing
 * every run's sample data right after it, in run order. Sample data
 * pointers are not looked at (they may be NULL). Same errors as
 * fmp4_fragment_write.
 */
int fmp4_fragment_head_write(struct buf *out, uint32_t sequence_number,
                             const struct fmp4_track_run *runs, size_t nruns);
/* How many bytes fmp4_fragment_head_write would append, or 0 for runs it
 * would refuse. */
size_t fmp4_fragment_head_size(const struct fmp4_track_run *runs, size_t nruns);

/*
 * Writes the RFC 6381 codecs string for a playlist's CODECS attribute into
 * dst (NUL-terminated): "avc1.PPCCLL" from the avcC profile, compatibility
 * and level bytes, "mp4a.40.N" from the ASC audio object type, joined with
 * a comma when both are given. dst_size >= FMP4_CODECS_MAX always suffices.
 * Returns 0 or ONAIR_EINVAL (both NULL, a malformed config, or dst too small;
 * dst then holds "").
 */
int fmp4_codecs_string(char *dst, size_t dst_size, const struct fmp4_video *video,
                       const struct fmp4_audio *audio);

#endif
