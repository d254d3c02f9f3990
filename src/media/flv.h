/*
 * flv.h - FLV audio and video tag bodies, as carried in RTMP messages 8
 * (audio) and 9 (video).
 *
 * onair takes H.264 (FLV codec id 7) video and AAC (sound format 10) audio,
 * the legacy framing OBS, ffmpeg and GStreamer send. These functions split
 * one message body into its FLV/AVC/AAC headers and its payload; they do not
 * look inside the payload (see avc.h and aac.h for that).
 *
 * Ownership: the parsed packet borrows the input; out->data points into
 * body and is valid as long as body is.
 * Threads: pure functions, no state; any thread.
 * Errors: 0, or ONAIR_EPROTO for a truncated or malformed body, or
 * ONAIR_EINVAL for well-formed media onair does not take (another codec,
 * an enhanced-RTMP ex-header, a video info/command frame). For EINVAL, and
 * for EPROTO too, *why (when why != NULL) is set to a short static string
 * fit for a log line or a message to the publisher. *out is unspecified
 * after an error.
 */
#ifndef ONAIR_MEDIA_FLV_H
#define ONAIR_MEDIA_FLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FLV codec numbers that onair takes. */
#define FLV_VIDEO_CODEC_AVC 7
#define FLV_AUDIO_FORMAT_AAC 10

enum flv_kind {
    FLV_AVC_SEQUENCE_HEADER, /* data: AVCDecoderConfigurationRecord (avcC) */
    FLV_AVC_NALU,            /* data: NAL units, each with a big-endian length prefix */
    FLV_AVC_END_OF_SEQUENCE, /* data: usually empty */
    FLV_AAC_SEQUENCE_HEADER, /* data: AudioSpecificConfig */
    FLV_AAC_RAW,             /* data: one raw AAC frame (no ADTS header) */
};

struct flv_packet {
    enum flv_kind kind;
    bool keyframe;       /* video: frame type 1; false for audio */
    int32_t cts;         /* video: composition time offset in ms (signed 24-bit); 0 for audio */
    const uint8_t *data; /* payload after the FLV/AVC/AAC headers; points into the input */
    size_t len;
};

/*
 * Parses a video tag body: 1 byte frame type/codec id, then for AVC 1 byte
 * AVCPacketType and a 3-byte signed composition time. Frame types 1-4 are
 * taken (only 1 sets keyframe); 5 (info/command frame) is EINVAL, 0/6/7
 * EPROTO. A sequence header must carry a non-empty record; NALU and
 * end-of-sequence payloads may be empty. The CTS is kept for every packet
 * type as sent (it should be 0 but for NALUs).
 */
int flv_video_parse(const uint8_t *body, size_t len, struct flv_packet *out, const char **why);

/*
 * Parses an audio tag body: 1 byte format/rate/size/channels, then for AAC
 * 1 byte AACPacketType (0 sequence header, 1 raw). The rate/size/channel
 * bits are ignored, as the spec says for AAC (the ASC is authoritative).
 * A sequence header must carry a non-empty ASC; a raw frame may be of any
 * length (silence from OBS is 8-byte messages, 6 bytes of payload).
 */
int flv_audio_parse(const uint8_t *body, size_t len, struct flv_packet *out, const char **why);

#endif
